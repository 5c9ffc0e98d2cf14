#!/usr/bin/env bash
# Make sure Podman can run containers here, for coroner's Podman tests and for trying
# coroner on Podman (its Docker-compatible service). As root on Debian: installs podman,
# and a drop-in configuration with what this kind of host needs (checked on Debian 12,
# podman 4.3): runc (crun refuses the hybrid cgroup layout), cgroupfs, ulimits the host
# allows, no network by default. Anything else: says what to do and fails.
set -euo pipefail

say() { printf 'ensure-podman: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# The drop-in below names runc: podman alone brings crun, and on a fresh machine docker.io
# (which brings runc) may not be installed yet.
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] && [ -f /etc/debian_version ] ||
    die "podman or runc is missing. Install them (Debian: sudo apt-get install podman runc) and run again."
  say "installing podman and runc with apt-get"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman runc >/dev/null 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman runc >/dev/null
  }
fi

conf=/etc/containers/containers.conf.d/50-coroner.conf
if [ "$(id -u)" -eq 0 ] && [ ! -f "$conf" ]; then
  say "writing $conf (runc, cgroupfs, ulimits, no network by default)"
  mkdir -p "$(dirname "$conf")"
  cat > "$conf" <<'CONF'
# Written by coroner's scripts/ensure-podman.sh: what podman needs on this kind of host.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
fi

podman info >/dev/null 2>&1 || die "podman is installed but does not work here; see: podman info"
say "podman $(podman version --format '{{.Client.Version}}') runs containers"
