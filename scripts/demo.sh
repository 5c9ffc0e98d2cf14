#!/usr/bin/env bash
# The main job on a built-in sample: compromise the webshell sample, triage it,
# export the evidence bundle and verify it.
set -uo pipefail
cd "$(dirname "$0")/.."
container=$(bash samples/run.sh webshell) || exit 1
echo
echo "== coroner triage $container"
node bin/coroner.js triage "$container"
code=$?
if [ "$code" -ne 3 ]; then
  echo "demo: triage exited $code; it should find the web shell (exit 3)" >&2
  exit 1
fi
echo
echo "== coroner export $container"
bundle=coroner-evidence-demo.tar.gz
node bin/coroner.js export "$container" --out "$bundle" --force || exit 1
echo
echo "== coroner verify $bundle"
node bin/coroner.js verify "$bundle" || exit 1
echo
echo "demo: done. Next: 'node bin/coroner.js $container' opens the console on a terminal"
echo "demo: (r then y restarts it clean); 'npm run sample -- miner' or '-- backdoor' are"
echo "demo: other scenarios; 'npm run sample -- --clean' removes every sample container and image."
