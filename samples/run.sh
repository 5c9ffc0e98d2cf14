#!/usr/bin/env bash
# Build a compromised-container scenario offline, start its victim, attack it.
#   samples/run.sh <name> [--container NAME] [--label K=V] [--engine podman]
#                                              build + start + compromise; prints the container name
#                                              (--engine podman: with podman's CLI instead of docker's)
#   samples/run.sh --list                      the scenarios
#   samples/run.sh --clean                     remove every sample container, image, network and volume (label coroner.sample)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
base_image=coroner-sample/base:busybox

usage() {
  echo "usage: npm run sample -- <name> [--container NAME] [--label K=V] [--engine podman] | --list | --clean" >&2
  echo "scenarios: $(list_samples | tr '\n' ' ')" >&2
}
list_samples() { for d in "$here"/*/attack.sh; do basename "$(dirname "$d")"; done; }

clean() {
  local ids
  ids=$(docker ps -aq --filter label=coroner.sample)
  [ -n "$ids" ] && docker rm -f -v $ids >/dev/null
  ids=$(docker images -q --filter label=coroner.sample | sort -u)
  [ -n "$ids" ] && docker rmi -f $ids >/dev/null 2>&1 || true
  ids=$(docker network ls -q --filter label=coroner.sample)
  [ -n "$ids" ] && docker network rm $ids >/dev/null 2>&1 || true
  ids=$(docker volume ls -q --filter label=coroner.sample)
  [ -n "$ids" ] && docker volume rm $ids >/dev/null 2>&1 || true
  echo "removed sample containers, images, networks and volumes (label coroner.sample)" >&2
}

case "${1:-}" in
  "" | -h | --help) usage; exit 2 ;;
  --list) list_samples; exit 0 ;;
  --clean) clean; exit 0 ;;
esac

name=$1; shift
container=coroner-sample-$name
extra_labels=()
engine=docker
while [ $# -gt 0 ]; do
  case $1 in
    --container) container=$2; shift 2 ;;
    --label) extra_labels+=(--label "$2"); shift 2 ;;
    --engine) engine=$2; shift 2 ;;
    *) usage; exit 2 ;;
  esac
done
# Podman's CLI takes the same commands: the scripts (and attack.sh) call it as `docker`.
case $engine in
  docker) ;;
  podman)
    command -v podman >/dev/null || { echo "sample: podman is not installed (npm run podman)" >&2; exit 1; }
    shim=$(mktemp -d)
    trap 'rm -rf "$shim"' EXIT
    printf '#!/bin/sh\nexec podman "$@"\n' > "$shim/docker"
    chmod +x "$shim/docker"
    export PATH="$shim:$PATH"
    ;;
  *) echo "sample: --engine is docker or podman, not '$engine'" >&2; exit 2 ;;
esac

dir=$here/$name
if [ ! -f "$dir/attack.sh" ]; then
  echo "sample: no scenario named '$name'" >&2; usage; exit 2
fi

# Real services build on a debootstrapped Debian 12 (samples/<name>/debian-packages), the
# others on the busybox base.
if [ -f "$dir/debian-packages" ]; then
  base_image=$(bash "$here/base/debian.sh" $(cat "$dir/debian-packages"))
elif ! docker image inspect "$base_image" >/dev/null 2>&1; then
  echo "sample: building the offline base image $base_image from /bin/busybox" >&2
  bash "$here/base/build.sh" "$base_image" >/dev/null
fi

# The sample's image, and one per sub-folder with a Dockerfile (coroner-sample/<name>-<sub>).
build() {
  echo "sample: building $1 offline (legacy builder, no network)" >&2
  DOCKER_BUILDKIT=0 docker build -q --network none \
    --build-arg BASE="$base_image" --label coroner.sample="$name" \
    -t "$1" "$2" >/dev/null 2>&1 ||
    { echo "sample: docker build of $2 failed; rerun it by hand to see why" >&2; exit 1; }
}
image=coroner-sample/$name:latest
build "$image" "$dir"
for sub in "$dir"/*/Dockerfile; do
  [ -f "$sub" ] || continue
  build "coroner-sample/$name-$(basename "$(dirname "$sub")"):latest" "$(dirname "$sub")"
done

# A sample made of several containers starts itself (samples/<name>/start.sh).
if [ -f "$dir/start.sh" ]; then
  bash "$dir/start.sh" "$container" "$image" --label coroner.sample="$name" "${extra_labels[@]}"
  sh "$dir/attack.sh" "$container"
  echo "sample: $container is compromised (ground truth: samples/$name/README.md)" >&2
  echo "$container"
  exit 0
fi

# A previous victim of the same name is replaced only if it is one of ours.
if existing=$(docker inspect -f '{{index .Config.Labels "coroner.sample"}}' "$container" 2>/dev/null); then
  if [ -z "$existing" ]; then
    echo "sample: a container named $container exists and is not a sample; choose another --container" >&2
    exit 1
  fi
  docker rm -f "$container" >/dev/null
fi

# A scenario may add its own run options (one per line, printf escapes allowed).
run_args=()
if [ -f "$dir/run-args" ]; then
  while IFS= read -r arg; do run_args+=("$(printf '%b' "$arg")"); done < "$dir/run-args"
fi
docker run -d --name "$container" --network none --label coroner.sample="$name" "${extra_labels[@]}" "${run_args[@]}" "$image" >/dev/null
# Wait (bounded) until the service wrote its pid file: the start is legitimate churn.
for _ in $(seq 1 50); do
  [ "$(docker diff "$container" | grep -c '^A /run/')" -gt 0 ] && break
  sleep 0.1
done
sh "$dir/attack.sh" "$container"
echo "sample: $container is compromised (ground truth: samples/$name/README.md)" >&2
echo "$container"
