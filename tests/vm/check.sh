#!/usr/bin/env bash
# ctest entry for the VM runner: checks run.sh's contract (exit status, stdout/stderr kept
# apart, --rw writes reach the host, cwd, timeout kills the guest and leaves nothing behind),
# then runs selftest.sh in the guest. Exit 77 (ctest SKIP_RETURN_CODE) when it cannot run
# here: not root, or no kernel cached and apt cannot fetch one. ~1 min under TCG.
#   add_test(NAME vm_runner COMMAND bash ${PROJECT_SOURCE_DIR}/tests/vm/check.sh)
#   set_tests_properties(vm_runner PROPERTIES SKIP_RETURN_CODE 77 TIMEOUT 600)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
run=$here/run.sh

((EUID == 0)) || { echo "vm/check.sh: skipped: needs root"; exit 77; }

work=$(mktemp -d /var/tmp/vm-check.XXXXXX) # not /tmp: that is a tmpfs inside the guest
trap 'rm -rf "$work"' EXIT
failed=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; failed=1; }

# 1. exit status, stdout vs stderr, --rw, cwd. The first run also fetches/builds the cache.
mkdir -p "$work/share" "$work/tmp"
(cd "$work/share" && TMPDIR=$work/tmp "$run" --rw "$work/share" --timeout 900 -- \
	bash -c 'echo "out $1"; echo "err $1" >&2; pwd >cwd; uname -r >kernel; exit 7' _ 'a b') \
	>"$work/stdout" 2>"$work/stderr"
rc=$?
if ((rc == 125)) && grep -q 'apt-get\|kernel package' "$work/stderr"; then
	echo "vm/check.sh: skipped: no kernel: $(tail -n 2 "$work/stderr")"; exit 77
fi
((rc == 7)) && ok "exit status carried back (7)" || bad "exit status $rc, wanted 7: $(tail -n 20 "$work/stderr")"
[[ $(cat "$work/stdout") == "out a b" ]] && ok "stdout: arguments passed intact" ||
	bad "stdout was '$(head -c 300 "$work/stdout")'"
grep -qx 'err a b' "$work/stderr" && ok "stderr kept apart" || bad "stderr was '$(head -c 300 "$work/stderr")'"
[[ $(cat "$work/share/cwd" 2>/dev/null) == "$work/share" ]] && ok "cwd and --rw share" ||
	bad "cwd/--rw: file says '$(cat "$work/share/cwd" 2>&1)'"
kver=$(cat "$work/share/kernel" 2>/dev/null)
[[ $kver == 6.1.* && $kver != "$(uname -r)" ]] && ok "guest kernel $kver" || bad "guest kernel '$kver'"

# 2. timeout: 124, the guest is killed, run.sh's temp dir is gone.
start=$SECONDS
TMPDIR=$work/tmp "$run" --timeout 15 -- sleep 300 >/dev/null 2>"$work/stderr.to"
rc=$?
((rc == 124 && SECONDS - start < 40)) && ok "timeout: 124 after $((SECONDS - start)) s" ||
	bad "timeout: status $rc after $((SECONDS - start)) s: $(tail -n 5 "$work/stderr.to")"
sleep 1
if pgrep -f "$work/tmp/" >/dev/null; then bad "processes left behind: $(pgrep -af "$work/tmp/")"; else ok "no qemu left behind"; fi
[[ -z $(ls -A "$work/tmp") ]] && ok "temp dirs removed" || bad "left in TMPDIR: $(ls -A "$work/tmp")"

# 3. the guest kernel has what sipalgd and the lab need.
TMPDIR=$work/tmp VM_TIMING=1 "$run" --timeout 300 -- "$here/selftest.sh" >"$work/selftest" 2>&1
rc=$?
cat "$work/selftest"
((rc == 0)) && grep -q '^selftest: .* 0 failed' "$work/selftest" && ok "selftest in the guest" ||
	bad "selftest in the guest (status $rc)"

((failed == 0)) && echo "vm/check.sh: all passed" || echo "vm/check.sh: FAILED"
exit "$failed"
