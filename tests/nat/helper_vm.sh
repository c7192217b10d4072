#!/usr/bin/env bash
# Helper mode on a kernel that has nfnetlink_cthelper: run netns_alg.sh helper inside the
# qemu guest (tests/vm/run.sh, Debian 12's stock kernel, host root read-only over 9p).
#
#   helper_vm.sh SIPALGD_BINARY
#
# Exit: the guest script's status; 77 (ctest SKIP) when not root or qemu cannot run here.
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 SIPALGD_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
runner=$here/../vm/run.sh
((EUID == 0)) || { echo "SKIP: needs root (qemu, network namespaces)"; exit 77; }
[[ -x $runner || -f $runner ]] || { echo "SKIP: no tests/vm/run.sh"; exit 77; }
rc=0
bash "$runner" --mem 1024 --timeout 400 -- bash "$here/netns_alg.sh" helper "$bin" || rc=$?
((rc == 125)) && { echo "SKIP: the guest did not come up (vm/run.sh said 125)"; exit 77; }
exit $rc
