#!/usr/bin/env bash
# Starts the victim as it was found: root, --network host, Apache on 127.0.0.1:<a free port
# below 1024> (only root may bind it on the host's network).
#   start.sh CONTAINER IMAGE [--label K=V]... [-- DOCKER-RUN-OPTION...]
#                                              waits (bounded) until it answers
#   APACHE_PORT_MIN, APACHE_PORT_SPAN          where the port is chosen (600, 400)
set -euo pipefail
container=$1 image=$2
shift 2
labels=() extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --) shift; extra=("$@"); break ;;
    *) labels+=("$1"); shift ;;
  esac
done
if docker inspect "$container" >/dev/null 2>&1; then
  [ -n "$(docker inspect -f '{{index .Config.Labels "coroner.sample"}}' "$container")" ] ||
    { echo "sample: a container named $container exists and is not a sample; choose another --container" >&2; exit 1; }
  docker rm -f -v "$container" >/dev/null
fi
# A low port nothing on the host's loopback answers on (bounded tries). Not one of the Fetch
# standard's "bad ports" (601, 636, 989…): browsers and fetch() refuse to open those, so the
# defaced page could not be shown there.
bad_ports=" 1 7 9 11 13 15 17 19 20 21 22 23 25 37 42 43 53 69 77 79 87 95 101 102 103 104 109 110 111 113 115 117 119 123 135 137 139 143 161 179 389 427 465 512 513 514 515 526 530 531 532 540 548 554 556 563 587 601 636 989 990 993 995 1719 1720 1723 2049 3659 4045 4190 5060 5061 6000 6566 6665 6666 6667 6668 6669 6679 6697 10080 "
port=
for _ in $(seq 1 50); do
  candidate=$((${APACHE_PORT_MIN:-600} + RANDOM % ${APACHE_PORT_SPAN:-400}))
  case $bad_ports in *" $candidate "*) continue ;; esac
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
done
[ -n "$port" ] || { echo "sample: no free port on 127.0.0.1 after 50 tries" >&2; exit 1; }
docker run -d --name "$container" --network host -e "APACHE_PORT=$port" "${labels[@]}" "${extra[@]}" "$image" >/dev/null
for i in $(seq 1 150); do
  if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/status.php" 2>/dev/null; then exit 0; fi
  [ "$(docker inspect -f '{{.State.Running}}' "$container")" = true ] ||
    { echo "sample: $container stopped: $(docker logs --tail 5 "$container" 2>&1)" >&2; exit 1; }
  [ "$i" -lt 150 ] || { echo "sample: $container does not answer on 127.0.0.1:$port within 30 s" >&2; exit 1; }
  sleep 0.2
done
