#!/usr/bin/env bash
# Starts the php-links stack: a user network, the database with its data in a named volume,
# and the front end (the suspect), its port published on 127.0.0.1 only.
#   start.sh CONTAINER IMAGE [--label K=V]...     waits (bounded) until both are healthy
set -euo pipefail
container=$1 image=$2
shift 2
labels=("$@")
net=$container-net
db=$container-db
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../stack-lib.sh"

replace_stack "$container" "$db" "$net" "$container-dbdata"
docker network create "${labels[@]}" "$net" >/dev/null
docker volume create "${labels[@]}" "$container-dbdata" >/dev/null
docker run -d --name "$db" --network "$net" --network-alias db "${labels[@]}" \
  -v "$container-dbdata:/var/lib/mysql" "${image%:*}-db:latest" >/dev/null
until_healthy "$db" 120
docker run -d --name "$container" --network "$net" --network-alias web "${labels[@]}" \
  -p 127.0.0.1::80 "$image" >/dev/null
until_healthy "$container" 60
