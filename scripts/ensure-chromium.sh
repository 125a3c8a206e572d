#!/usr/bin/env bash
# Part of `npm run setup`: the browser tests drive Debian's chromium through
# playwright-core (which downloads no browser). Installs the package where it is
# missing; needs root (CI runs as root) or sudo. L3C_CHROMIUM names another binary.
set -euo pipefail
bin="${L3C_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$bin" ]; then
  echo "chromium: $("$bin" --version 2>/dev/null | head -1)"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo"; else
  echo "chromium missing and not root: run 'apt-get install -y chromium' as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq chromium >/dev/null
echo "chromium: $("$bin" --version 2>/dev/null | head -1)"
