#!/usr/bin/env bash
# 1000 connect/traffic/disconnect cycles of a memif client against one
# vtepd (tests/memif/cycles.py), a longer run than the 200 of 'make test'.
# Usually 4 s. Builds first into BUILD_DIR (default build/).
#
#   tests/memif/cycles-1000.sh [cycles.py options, e.g. --cycles 5000]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD_DIR:-$root/build}
"$root/scripts/build.sh"
exec /usr/bin/python3 "$root/tests/memif/cycles.py" --vtepd "$build/app/vtepd/vtepd" \
	--client "$build/tests/memif/memif_cycle" --source "$root" --cycles 1000 "$@"
