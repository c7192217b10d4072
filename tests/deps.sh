#!/usr/bin/env bash
# Install what building and testing sipalgd needs on Debian 12 (idempotent; root).
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libosip2-dev libnetfilter-queue-dev libnetfilter-conntrack-dev
      libnetfilter-cthelper-dev libmnl-dev libpcap-dev libinih-dev libcap-ng-dev
      libnftables-dev libnftnl-dev
      python3 iproute2 nftables iptables conntrack tcpdump util-linux kmod
      qemu-system-x86 busybox-static xz-utils
      dpkg-dev debhelper fakeroot lintian man-db groff-base shellcheck
      valgrind)  # valgrind: bench_engine's Ir per message (callgrind)
# The lab's own (baresip, kamailio, sipp, ping): ctest's vm_runner checks them in the
# guest before tests/run.sh reaches the lab, so a fresh machine needs them here already.
# shellcheck source=lab/lib/deps.sh
source "$(dirname "$0")/lab/lib/deps.sh"
pkgs+=("${LAB_PKGS[@]}")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
