#!/usr/bin/env bash
# Create (or reuse) .venv and install artifactsdk with the given extras, torch pinned
# to the CPU build through constraints.txt. Usage: scripts/setup-venv.sh [EXTRAS]
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
venv="${ARTIFACTSDK_VENV:-.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
# torch first, from its pinned CPU build, so no extra can pull a CUDA build. The extras that
# use the default models' torch weights depend on artifactsdk-weights, installed from weights/.
if [ -n "$extras" ]; then
  "$venv/bin/python" -m pip install --quiet -c constraints.txt "torch==2.13.0"
  "$venv/bin/python" -m pip install --quiet -c constraints.txt -e ./weights -e ".[$extras]"
else
  "$venv/bin/python" -m pip install --quiet -c constraints.txt -e .
fi
