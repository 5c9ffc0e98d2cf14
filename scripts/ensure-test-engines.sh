#!/usr/bin/env bash
# The newer engines the tests run privately beside the system's Docker 20.10 (issue 25):
# Debian trixie's docker.io 26.1 (dockerd and its CLI) and containerd 1.7, downloaded as
# packages and unpacked into a cache folder, never installed system-wide. trixie's runc
# needs glibc 2.38, so the system's runc serves them. Prints the folder.
#   scripts/ensure-test-engines.sh          (cache: $CORONER_TEST_ENGINES or /var/cache/coroner-test-engines)
set -euo pipefail
say() { printf 'test-engines: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

cache=${CORONER_TEST_ENGINES:-/var/cache/coroner-test-engines}
dir=$cache/trixie
if [ -x "$dir/usr/sbin/dockerd" ] && [ -x "$dir/usr/bin/containerd" ] && [ -x "$dir/usr/bin/docker" ]; then
  echo "$dir"
  exit 0
fi
[ "$(id -u)" -eq 0 ] || die "the newer test engines need root to run; run as root"
command -v apt-get >/dev/null 2>&1 || die "apt-get is missing: the newer test engines come from Debian's packages"
command -v runc >/dev/null 2>&1 || die "runc is missing (Debian: apt-get install runc)"

# The mirror this machine's apt uses (deb822 sources first, then the one-line format).
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit } $1 == "deb" { print $3; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || die "cannot tell which Debian mirror apt uses here"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work"/{lists/partial,cache/archives/partial,debs,root}
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$work/sources.list"
# A private apt state: the system's sources and package lists stay as they are.
apt=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
say "downloading trixie's docker.io, docker-cli and containerd"
apt-get "${apt[@]}" update -qq >/dev/null || die "apt-get update of trixie's package list failed"
(cd "$work/debs" && apt-get "${apt[@]}" download docker.io docker-cli containerd >/dev/null) ||
  die "downloading trixie's docker.io, docker-cli and containerd failed"
for deb in "$work"/debs/*.deb; do dpkg -x "$deb" "$work/root"; done
mkdir -p "$cache"
rm -rf "$dir.tmp" && mv "$work/root" "$dir.tmp" && rm -rf "$dir" && mv "$dir.tmp" "$dir"
say "unpacked into $dir: $("$dir/usr/sbin/dockerd" --version), containerd $("$dir/usr/bin/containerd" --version | awk '{print $3}')"
echo "$dir"
