#!/usr/bin/env bash
# Offline stand-in for `debian:bookworm-slim` with a sample's packages: a Debian 12 root
# made by debootstrap (minbase) from the Debian mirror this machine's apt already uses,
# imported as a one-layer image. The tag is made from the package list, so the image is
# built once per list and reused until the list changes.
#   samples/base/debian.sh PACKAGE...      prints the image name
set -euo pipefail
say() { printf 'debian-base: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

[ $# -gt 0 ] || die "usage: samples/base/debian.sh PACKAGE..."
list=$(printf '%s\n' "$@" | sort -u)
key=$(printf '%s\n' "$list" | sha256sum | cut -c1-12)
image=coroner-sample/debian:bookworm-$key
if docker image inspect "$image" >/dev/null 2>&1; then
  echo "$image"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing debootstrap with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null ||
      { DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
  else
    die "debootstrap is missing: install it (Debian: sudo apt-get install debootstrap) and run again"
  fi
fi
[ "$(id -u)" -eq 0 ] || die "debootstrap needs root to build $image"

# The mirror this machine's apt uses (deb822 sources first, then the one-line format).
mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" && $2 !~ /^\[/ { print $2; exit } $1 == "deb" { print $3; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || die "cannot tell which Debian mirror apt uses here (no URIs in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
say "building $image with debootstrap (minbase + $(echo $list | tr '\n' ' ')); about a minute"
include=$(printf '%s' "$list" | tr '\n' ',' | sed 's/,$//')
if ! debootstrap --variant=minbase --include="$include" bookworm "$work/root" "$mirror" >"$work/log" 2>&1; then
  tail -n 20 "$work/log" >&2
  die "debootstrap failed; its last lines are above"
fi
# Nothing of the build host's: no apt lists or caches, no machine id.
rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/"*.bin "$work/root/var/cache/apt/archives/"*.deb
: >"$work/root/etc/machine-id"
tar --numeric-owner -C "$work/root" --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* -c . |
  docker import \
    --change 'LABEL coroner.sample=base' \
    --change "LABEL coroner.packages=$include" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["bash"]' \
    - "$image" >/dev/null
echo "$image"
