#!/usr/bin/env bash
# Builds coroner's node-job image, coroner:<version> (deploy/node-job/Dockerfile), offline:
# a debootstrapped Debian 12 base with the packages coroner runs (deploy/node-job/
# debian-packages: getfattr for overlay attributes), a Node 20+ binary, coroner's dist/ and
# bin/, and its production dependencies copied from this checkout's node_modules (the packages
# package-lock.json does not mark dev: what `npm ci --omit=dev` would install, with no
# registry or npm cache needed). The image carries a hash of all its inputs as a label and
# is rebuilt only when they change. Prints the tag.
#   scripts/build-node-image.sh [--build]   (--build: run `npm run build` first; it also
#                                            runs when dist/ is missing or older than a source)
#   CORONER_NODE_TARBALL=node-v20.x.y-linux-x64.tar.xz   take Node from an official
#                                            nodejs.org tarball instead of this machine's node
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'node-image: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

command -v docker >/dev/null 2>&1 || die "docker is missing: the image is built with the docker CLI"
cd "$here"
if [ "${1:-}" = --build ] || [ ! -f dist/src/cli.js ] ||
  [ -n "$(find src ui tsconfig.json tsconfig.build.json -newer dist/src/cli.js -print -quit)" ]; then
  say "building dist/ (npm run build)"
  npm run --silent build >&2 || die "npm run build failed"
fi
version=$(node -p 'require("./package.json").version')
tag=coroner:$version
# shellcheck disable=SC2046 # one package a word
base=$(bash samples/base/debian.sh $(cat deploy/node-job/debian-packages))
base_id=$(docker image inspect --format '{{.Id}}' "$base")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ctx=$work/ctx
mkdir -p "$ctx/app" "$ctx/links"

# Node 20: Debian 12's own package is 18, so the binary comes from outside the base.
if [ -n "${CORONER_NODE_TARBALL:-}" ]; then
  [ -f "$CORONER_NODE_TARBALL" ] || die "CORONER_NODE_TARBALL names no file: $CORONER_NODE_TARBALL"
  tar -xf "$CORONER_NODE_TARBALL" -C "$work" --wildcards --no-anchored --strip-components=2 '*/bin/node' ||
    die "no bin/node in $CORONER_NODE_TARBALL (expected an official nodejs.org linux tarball)"
  mv "$work/node" "$ctx/node"
else
  # The binary itself (process.execPath), not a version manager's shim named node.
  cp "$(node -p process.execPath)" "$ctx/node"
fi
node_version=$("$ctx/node" -p 'process.versions.node') || die "the Node binary does not run on this machine"
[ "${node_version%%.*}" -ge 20 ] || die "Node $node_version is too old: coroner needs 20 or newer (give CORONER_NODE_TARBALL)"

cp -a bin dist package.json "$ctx/app/"
ln -s /opt/coroner/bin/coroner.js "$ctx/links/coroner"
# The production packages, each copied once with what is nested under it (a nested package
# is a dependency of the one it sits in, so it is production too).
node -e '
  const lock = require("./package-lock.json");
  const fs = require("node:fs");
  const prod = Object.entries(lock.packages)
    .filter(([where, p]) => where.startsWith("node_modules/") && !p.dev && fs.existsSync(where))
    .map(([where]) => where)
    .sort();
  const top = prod.filter((where) => !prod.some((o) => where.startsWith(o + "/node_modules/")));
  if (top.length === 0) throw new Error("no production package in node_modules: run npm ci");
  console.log(top.join("\n"));
' >"$work/packages" || die "cannot list the production packages (is node_modules installed? npm ci)"
tar -C "$here" --exclude='node_modules/.bin' --exclude='*/node_modules/.bin' -cf - -T "$work/packages" |
  tar -C "$ctx/app" -xf -

# Every input, hashed as the image would hold it (names sorted, times and owners fixed).
inputs=$({
  sha256sum deploy/node-job/Dockerfile | cut -d' ' -f1
  echo "$base_id"
  tar -C "$ctx" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf - . | sha256sum | cut -d' ' -f1
} | sha256sum | cut -c1-16)
if [ "$(docker image inspect --format '{{index .Config.Labels "coroner.inputs"}}' "$tag" 2>/dev/null)" = "$inputs" ]; then
  echo "$tag"
  exit 0
fi

previous=$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)
say "building $tag (Node $node_version on $base)"
docker build --quiet --network none \
  --build-arg "BASE=$base" \
  --label "coroner.inputs=$inputs" \
  --label "coroner.version=$version" \
  --label "coroner.node=$node_version" \
  -f deploy/node-job/Dockerfile -t "$tag" "$ctx" >/dev/null 2>"$work/build.log" ||
  { cat "$work/build.log" >&2; die "docker build of $tag failed"; }
# The image this one replaces, now untagged, goes (unless a container still uses it).
[ -z "$previous" ] || [ "$previous" = "$(docker image inspect --format "{{.Id}}" "$tag")" ] ||
  docker rmi "$previous" >/dev/null 2>&1 || true
say "built $tag ($(docker image inspect --format '{{.Size}}' "$tag" | awk '{ printf "%d MB", $1 / 1e6 }'))"
echo "$tag"
