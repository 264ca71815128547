#!/usr/bin/env bash
# Install what is missing, then configure and build into BUILD_DIR (default
# build/). Extra arguments go to 'meson setup' on the first run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}

"$root/scripts/deps.sh"
if [ ! -f "$build/build.ninja" ]; then
	meson setup "$build" "$root" "$@" >/dev/null
fi
ninja -C "$build" >/dev/null || ninja -C "$build"
