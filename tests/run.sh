#!/usr/bin/env bash
# The test command (README.md and .ci/run both call this): install dependencies,
# build with clang + ASan/UBSan (+ the libFuzzer harnesses), run every test with ctest.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bash "$top/tests/deps.sh"
build="$top/build-test"
CC=clang cmake -S "$top" -B "$build" -DSIPALGD_SANITIZE=ON -DSIPALGD_FUZZ=ON \
	-DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)"
cd "$build"
ctest --output-on-failure -j"$(nproc)"
