# The lab's packages (Debian 12), installed with apt-get when missing.
# shellcheck shell=bash
LAB_PKGS=(baresip-core kamailio rtpengine-daemon sip-tester tcpdump conntrack nftables iptables iproute2
  iputils-ping python3 procps cmake pkg-config build-essential libnftables-dev libnftnl-dev
  libosip2-dev libnetfilter-queue-dev libnetfilter-conntrack-dev libnetfilter-cthelper-dev
  libmnl-dev libpcap-dev libinih-dev libcap-ng-dev conntrackd keepalived)

lab_deps() {
  local missing=() p
  for p in "${LAB_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  echo "lab: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
