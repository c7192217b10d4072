#!/usr/bin/env bash
# Run one of tests/nat's namespace scripts inside the qemu guest (tests/vm/run.sh, Debian 12's
# stock kernel: it has nfnetlink_cthelper, this host's has not), with an evidence directory
# shared read-write (the guest's /tmp is its own tmpfs).
#
#   in_guest.sh TIMEOUT_S SCRIPT [ARGS...]      e.g. in_guest.sh 300 tcp_stream.sh BIN
#
# SCRIPT is relative to tests/nat; ARGS that name an existing file are made absolute.
# Exit: the script's status; 77 (ctest SKIP) when not root, SIPALGD_SKIP_VM=1, or the guest
# could not run the script (vm/run.sh's 125, e.g. when already inside a guest).
set -euo pipefail
timeout=${1:?usage: $0 TIMEOUT_S SCRIPT [ARGS...]}
script=${2:?usage: $0 TIMEOUT_S SCRIPT [ARGS...]}
shift 2
here=$(cd "$(dirname "$0")" && pwd)
runner=$here/../vm/run.sh
args=()
for a in "$@"; do [[ -e $a ]] && args+=("$(readlink -f "$a")") || args+=("$a"); done
((EUID == 0)) || { echo "SKIP: needs root (qemu, network namespaces)"; exit 77; }
[[ ${SIPALGD_SKIP_VM:-0} == 1 ]] && { echo "SKIP: SIPALGD_SKIP_VM=1"; exit 77; }
[[ -f $runner ]] || { echo "SKIP: no tests/vm/run.sh"; exit 77; }
keep=$(mktemp -d "/tmp/nat-vm-${script%.sh}.XXXXXX")
chmod 755 "$keep"	# the daemon runs as nobody in there
rc=0
bash "$runner" --mem 1024 --timeout "$timeout" --rw "$keep" -- \
	env NAT_KEEP_DIR="$keep" bash "$here/$script" "${args[@]}" || rc=$?
((rc == 0)) && rm -rf "$keep" || echo "evidence kept in $keep"
((rc == 125)) && { echo "SKIP: the guest did not come up (vm/run.sh said 125)"; exit 77; }
exit $rc
