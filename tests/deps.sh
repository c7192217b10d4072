#!/usr/bin/env bash
# Install what building and testing sipalgd needs on Debian 12 (idempotent; root).
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang libclang-rt-14-dev
      libosip2-dev libnetfilter-queue-dev libnetfilter-conntrack-dev
      libnetfilter-cthelper-dev libmnl-dev libpcap-dev libinih-dev libcap-ng-dev
      libnftables-dev libnftnl-dev
      python3 iproute2 nftables iptables conntrack tcpdump util-linux kmod
      qemu-system-x86 busybox-static xz-utils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
