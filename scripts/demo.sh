#!/usr/bin/env bash
# Set up the core package on a fresh machine (no torch, no extras) and run the main job:
# find, name and outline artifacts in the shipped sample images with the bundled default
# models. Writes <name>.json, <name>.overlay.png, <name>.mask.png and summary.json to out/demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-venv.sh
exec "${ARTIFACTSDK_VENV:-.venv}/bin/artifactsdk" detect sdk/samples --out out/demo --overlay --mask --overwrite
