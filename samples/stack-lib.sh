# Helpers for samples made of several containers (sourced by their start.sh).

# Removes a previous stack of the same names, but only what carries the coroner.sample label.
replace_stack() {
  local container=$1 db=$2 net=$3 volume=$4 c
  for c in "$container" "$db"; do
    if docker inspect "$c" >/dev/null 2>&1; then
      [ -n "$(docker inspect -f '{{index .Config.Labels "coroner.sample"}}' "$c")" ] ||
        { echo "sample: a container named $c exists and is not a sample; choose another --container" >&2; exit 1; }
      docker rm -f -v "$c" >/dev/null
    fi
  done
  if docker network inspect "$net" >/dev/null 2>&1; then docker network rm "$net" >/dev/null; fi
  if docker volume inspect "$volume" >/dev/null 2>&1; then docker volume rm "$volume" >/dev/null; fi
}

# Waits until a container reports healthy, at most $2 seconds.
until_healthy() {
  local name=$1 limit=$2 i=0 state
  while :; do
    state=$(docker inspect -f '{{.State.Status}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$name")
    case $state in
      "running healthy") return 0 ;;
      exited* | dead*) echo "sample: $name stopped: $(docker logs --tail 5 "$name" 2>&1)" >&2; exit 1 ;;
    esac
    i=$((i + 1))
    [ "$i" -lt $((limit * 5)) ] || { echo "sample: $name not healthy within ${limit}s ($state)" >&2; exit 1; }
    sleep 0.2
  done
}

# The 127.0.0.1:port a container's port $2 is published on.
published() { docker port "$1" "$2/tcp" | grep '^127\.0\.0\.1:' | head -n 1; }
