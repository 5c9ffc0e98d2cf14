#!/usr/bin/env bash
# Starts the wp-volume site with its web root in a named volume (filled from the image at
# this first start), its port published on 127.0.0.1 only.
#   start.sh CONTAINER IMAGE [--label K=V]...     waits (bounded) until it is healthy
set -euo pipefail
container=$1 image=$2
shift 2
labels=("$@")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../stack-lib.sh"

replace_stack "$container" "$container-none" "$container-net" "$container-html"
# A network of its own: published ports need one (an engine may run without its default bridge).
docker network create "${labels[@]}" "$container-net" >/dev/null
docker volume create "${labels[@]}" "$container-html" >/dev/null
docker run -d --name "$container" --network "$container-net" "${labels[@]}" \
  -v "$container-html:/var/www/html" -p 127.0.0.1::80 "$image" >/dev/null
until_healthy "$container" 60
