#!/usr/bin/env bash
# What the browser tests (tests/report, tests/web) need beyond Python: Debian's Chromium,
# driven by Playwright with executable_path (Playwright's own browser download is never
# used), and npm, with which export-web vendors onnxruntime-web. Installs from the Debian
# archive when missing and this runs as root with apt; otherwise says what is missing (the
# tests then skip with the reason).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: installing ${missing[*]} with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null; }; then
    echo "setup-browser: apt-get could not install ${missing[*]}; the browser tests will skip" >&2
  fi
else
  echo "setup-browser: ${missing[*]} missing and cannot be installed here (needs root and apt-get);" \
       "the browser tests will skip" >&2
fi
