#!/usr/bin/env bash
# Set up everything on a fresh machine, check the import contracts and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-venv.sh dev
scripts/setup-browser.sh  # Chromium and npm for the browser tests of report/ and web/
python="${ARTIFACTSDK_VENV:-.venv}/bin/python"
# The layer rule first (ARCHITECTURE.md; contracts in pyproject.toml), then the tests.
"$python" scripts/lint_imports.py
exec "$python" -m pytest "$@"
