#!/usr/bin/env bash
# Runs a private containerd 1.7 and, unless --containerd-only, a private dockerd 26 on it,
# inside the mount namespace this script is started in (scripts/newer-engine.sh is run
# through `unshare --mount --propagation private`). containerd 1.7's shims put their
# sockets in /run/containerd/s whatever --state says, and dockerd 26 creates
# /run/docker/plugins: both get a private tmpfs so the system's engine never sees them.
#   newer-engine.sh ENGINES_DIR ROOT [--containerd-store] [--min-api V] [--containerd-only]
# ROOT receives containerd.sock, docker.sock, the data roots and the logs.
set -euo pipefail
engines=$1 root=$2
shift 2
store=0 min_api='' containerd_only=0
while [ $# -gt 0 ]; do
  case $1 in
    --containerd-store) store=1; shift ;;
    --min-api) min_api=$2; shift 2 ;;
    --containerd-only) containerd_only=1; shift ;;
    *) echo "newer-engine: unknown option $1" >&2; exit 2 ;;
  esac
done

mkdir -p /run/containerd /run/docker
mount -t tmpfs tmpfs /run/containerd
mount -t tmpfs tmpfs /run/docker
export PATH=$engines/usr/bin:$engines/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin

cat >"$root/containerd.toml" <<TOML
version = 2
root = "$root/containerd-root"
state = "$root/containerd-state"
[grpc]
  address = "$root/containerd.sock"
[ttrpc]
  address = "$root/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
TOML
containerd --config "$root/containerd.toml" >"$root/containerd.log" 2>&1 &
echo $! >"$root/containerd.pid"
for _ in $(seq 1 100); do [ -S "$root/containerd.sock" ] && break; sleep 0.1; done
[ -S "$root/containerd.sock" ] || { echo "newer-engine: containerd did not start (see $root/containerd.log)" >&2; exit 1; }
# --containerd-only: stay with containerd until it stops, then end (never go on to dockerd).
if [ "$containerd_only" -eq 1 ]; then wait; exit 0; fi

if [ "$store" -eq 1 ]; then
  echo '{"features":{"containerd-snapshotter":true}}' >"$root/daemon.json"
else
  echo '{}' >"$root/daemon.json"
fi
[ -n "$min_api" ] && export DOCKER_MIN_API_VERSION=$min_api
exec dockerd --config-file "$root/daemon.json" --containerd "$root/containerd.sock" \
  --data-root "$root/docker-root" --exec-root "$root/exec" --pidfile "$root/dockerd.pid" \
  -H "unix://$root/docker.sock" --iptables=false --bridge=none >>"$root/dockerd.log" 2>&1
