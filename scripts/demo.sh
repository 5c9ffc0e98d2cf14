#!/usr/bin/env bash
# The main job on a built-in sample: compromise the webshell sample, then triage it.
set -uo pipefail
cd "$(dirname "$0")/.."
container=$(bash samples/run.sh webshell) || exit 1
echo
echo "== coroner triage $container"
node bin/coroner.js triage "$container" --case-dir "coroner-cases/demo-$container"
code=$?
echo
if [ "$code" -eq 3 ]; then
  echo "demo: triage found suspicious changes (exit 3), as it should for this sample."
  echo "demo: try 'npm run sample -- miner' or 'npm run sample -- backdoor' and triage those too;"
  echo "demo: 'npm run sample -- --clean' removes every sample container and image."
  exit 0
fi
echo "demo: triage exited $code" >&2
exit "$code"
