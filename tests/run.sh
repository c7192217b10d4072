#!/usr/bin/env bash
# The test command (README.md and .ci/run both call this): install dependencies,
# build with ASan+UBSan, run every test with ctest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/tests/deps.sh"
build="$top/build-test"
cmake -S "$top" -B "$build" -DSIPALGD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)"
