#!/usr/bin/env bash
# The test command (README.md and .ci/run both call this), as root on Debian 12:
#  1. install dependencies (tests/deps.sh),
#  2. build with clang + ASan/UBSan (+ the libFuzzer harness) and run every test with ctest
#     (unit, golden, corpus, fuzz corpus run, netns and qemu integration tests),
#  3. build the Debian package, install it, check it and purge it (tests/package/check.sh),
#  4. run the namespace lab's sipalgd rows, every scenario once against the plain and the
#     NAT-aware provider (tests/lab/run.sh --pbx plain,nataware; in one qemu guest boot on
#     Debian's stock kernel when this kernel has no nfnetlink_cthelper).
# --no-lab skips step 4 (e.g. without root). SIPALGD_LAB_REPS sets the lab's repetitions.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
lab=1
[[ ${1:-} == --no-lab ]] && lab=0
bash "$top/tests/deps.sh"
build="$top/build-test"
CC=clang cmake -S "$top" -B "$build" -DSIPALGD_SANITIZE=ON -DSIPALGD_FUZZ=ON \
	-DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$build" -j"$(nproc)"
(cd "$build" && ctest --output-on-failure -j"$(nproc)")
# The Debian package: build, lintian, install, `sipalgd -n`, purge (under a minute).
if [[ $(id -u) -eq 0 ]]; then
	bash "$top/tests/package/check.sh"
else
	echo "tests/run.sh: the package check installs a package and needs root; skipped" >&2
fi
if ((lab)); then
	if [[ $(id -u) -ne 0 ]]; then
		echo "tests/run.sh: the namespace lab needs root; skipped" >&2
	else
		rc=0
		bash "$top/tests/lab/run.sh" --alg sipalgd --pbx plain,nataware \
			--reps "${SIPALGD_LAB_REPS:-1}" || rc=$?
		# one plain closing line for the lab's sipalgd rows of both profiles (a row not
		# applicable to a profile is neither; one that did not run is a failure)
		python3 - "$top/tests/lab/results/summary.json" <<'PY' || rc=1
import json, sys
rows = [r for r in json.load(open(sys.argv[1])) if r["alg"] == "sipalgd"]
ok = sum(1 for r in rows if r["pass"])
bad = sum(1 for r in rows if r["pass"] is False or r["detail"]["why"] == "not run")
print(f"lab: {ok} passed, {bad} failed")
PY
		exit "$rc"
	fi
fi
