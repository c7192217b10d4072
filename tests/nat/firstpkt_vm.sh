#!/usr/bin/env bash
# The first-packet pinhole test (netns_firstpkt.sh) inside the qemu guest: Debian 12's stock
# kernel has nfnetlink_cthelper, this host's has not (tests/vm/README.md).
#
#   firstpkt_vm.sh SIPALGD_BINARY
#
# Exit: the guest script's status; 77 (ctest SKIP) when not root, SIPALGD_SKIP_VM=1, or the
# guest could not run the script (vm/run.sh's 125).
set -euo pipefail
bin=$(readlink -f "${1:?usage: $0 SIPALGD_BINARY}")
here=$(cd "$(dirname "$0")" && pwd)
runner=$here/../vm/run.sh
((EUID == 0)) || { echo "SKIP: needs root (qemu, network namespaces)"; exit 77; }
[[ ${SIPALGD_SKIP_VM:-0} == 1 ]] && { echo "SKIP: SIPALGD_SKIP_VM=1"; exit 77; }
[[ -f $runner ]] || { echo "SKIP: no tests/vm/run.sh"; exit 77; }
# The guest's /tmp is its own tmpfs: keep the evidence in a shared host directory.
keep=$(mktemp -d /tmp/nat-fp-vm.XXXXXX)
chmod 755 "$keep"
rc=0
bash "$runner" --mem 1024 --timeout 300 --rw "$keep" -- \
	env NAT_KEEP_DIR="$keep" bash "$here/netns_firstpkt.sh" "$bin" || rc=$?
((rc == 0)) && rm -rf "$keep" || echo "evidence kept in $keep"
((rc == 125)) && { echo "SKIP: the guest did not come up (vm/run.sh said 125)"; exit 77; }
exit $rc
