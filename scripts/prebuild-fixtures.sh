#!/usr/bin/env bash
# Builds the base images the engine tests share, once per run and one at a time, before the
# test workers start. On a cold machine a debootstrap takes minutes; built inside two test
# files' set-up hooks at once, two of them competed for the 2 cores and ran past the hooks'
# timeouts (issue 23). Each image is cached by its package list, so on a warm machine this
# only checks that they exist.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
say() { printf 'prebuild: %s\n' "$*" >&2; }

timed() {
  local what=$1 start=$SECONDS
  shift
  "$@" >/dev/null
  say "$what ready ($((SECONDS - start)) s)"
}

if ! docker image inspect coroner-sample/base:busybox >/dev/null 2>&1; then
  timed "busybox base" bash "$here/samples/base/build.sh" coroner-sample/base:busybox
fi

# Every Debian base a sample names (samples/<name>/debian-packages), and the ones tests
# name themselves (test/fixtures/debian-packages/*: one list a file).
for list in "$here"/samples/*/debian-packages "$here"/test/fixtures/debian-packages/*; do
  [ -f "$list" ] || continue
  # shellcheck disable=SC2046 # one package a word
  timed "Debian base for ${list#"$here"/}" bash "$here/samples/base/debian.sh" $(cat "$list")
done

# The node-job image (deploy/node-job) and its minbase Debian base; npm run build made dist/.
timed "node-job image" bash "$here/scripts/build-node-image.sh"
