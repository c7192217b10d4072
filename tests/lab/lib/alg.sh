# The ALG under test, set up in ONE place so scenarios don't care which.
#   none    - plain masquerade
#   kernel  - the kernel's nf_conntrack_sip/nf_nat_sip attached by an nft ct helper rule
#   sipalgd - the daemon in the gateway namespace with the lab config
# Sourced by run.sh.
# shellcheck shell=bash
SIPALGD_PID=""
SIPALGD_BIN=${SIPALGD_BIN:-}

# Can this kernel run sipalgd in helper mode? (DESIGN.md facts 2 and 3)
kernel_has_cthelper() {
  [[ -d /sys/module/nfnetlink_cthelper ]] && return 0
  modprobe -q nfnetlink_cthelper 2>/dev/null && [[ -d /sys/module/nfnetlink_cthelper ]]
}

sipalgd_find_bin() {
  [[ -n $SIPALGD_BIN && -x $SIPALGD_BIN ]] && return 0
  local c
  for c in "$TOP/build-lab/daemon/sipalgd" "$TOP/build-lab/sipalgd" "$TOP/build/daemon/sipalgd"; do
    [[ -x $c ]] && { SIPALGD_BIN=$c; return 0; }
  done
  return 1
}

sipalgd_build() {
  cmake -S "$TOP" -B "$TOP/build-lab" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null &&
    cmake --build "$TOP/build-lab" -j2 --target sipalgd >/dev/null
}

# Lab config = the documented example with the lab's overrides applied
# (each "section.key=value" argument overrides one key).
sipalgd_write_config() {
  local out=$1; shift
  python3 - "$TOP/configs/sipalgd.conf" "$out" "$RUN_DIR/sipalgd.sock" "$@" <<'PY'
import configparser, sys
src, out, sock, *over = sys.argv[1:]
c = configparser.ConfigParser(inline_comment_prefixes=("#", ";"))
c.read(src)
c["general"]["status_socket"] = sock
c["general"]["log_level"] = "debug"
c["general"]["user"] = "nobody"
c["general"]["state_file"] = ""   # on only where a scenario restarts on it (restart-then-*)
# SL_SIPALGD_WORKERS: [netfilter] workers for every sipalgd row (docs/workers.md)
import os
if os.environ.get("SL_SIPALGD_WORKERS"):
    c["netfilter"]["workers"] = os.environ["SL_SIPALGD_WORKERS"]
for o in over:
    key, val = o.split("=", 1)
    sec, k = key.split(".", 1)
    c[sec][k] = val
with open(out, "w") as f:
    c.write(f)
PY
}

# Every switch the config has, off: the daemon runs and helps, but must not
# change a byte nor open a pinhole.
SIPALGD_ALL_OFF=(rewrite.request_uri=no rewrite.via=no rewrite.contact=no
  rewrite.record_route=no rewrite.route=no rewrite.from_to=no rewrite.sdp_origin=no
  rewrite.sdp_connection=no rewrite.sdp_media_port=no rewrite.sdp_rtcp=no
  media.expectations=no media.rtcp=no media.drop_unexpected_media=no)

sipalgd_start() {  # sipalgd_start [overrides...]
  sipalgd_find_bin || { echo "alg sipalgd: no sipalgd binary (build failed?)" >&2; return 1; }
  local conf="$RUN_DIR/sipalgd.conf"
  sipalgd_write_config "$conf" "$@"
  "$SIPALGD_BIN" -n -c "$conf" >"$RUN_DIR/sipalgd-check.log" 2>&1 || {
    echo "alg sipalgd: config rejected: $(cat "$RUN_DIR/sipalgd-check.log")" >&2; return 1; }
  ip netns exec "$(ns gw)" "$SIPALGD_BIN" -f -c "$conf" >>"$RUN_DIR/sipalgd.log" 2>&1 &
  SIPALGD_PID=$!
  local i
  for i in $(seq 1 50); do
    kill -0 "$SIPALGD_PID" 2>/dev/null || break
    if nsx gw "$SIPALGD_BIN" status -c "$conf" >"$RUN_DIR/sipalgd-status.txt" 2>&1; then
      return 0
    fi
    sleep 0.1
  done
  echo "alg sipalgd: daemon not up (tail of $RUN_DIR/sipalgd.log):" >&2
  tail -5 "$RUN_DIR/sipalgd.log" >&2
  sipalgd_stop
  return 1
}

sipalgd_stop() {
  [[ -n $SIPALGD_PID ]] || return 0
  kill -TERM "$SIPALGD_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 30); do kill -0 "$SIPALGD_PID" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$SIPALGD_PID" 2>/dev/null || true
  wait "$SIPALGD_PID" 2>/dev/null || true
  SIPALGD_PID=""
}

sipalgd_status() {
  sipalgd_find_bin && nsx gw "$SIPALGD_BIN" status -c "$RUN_DIR/sipalgd.conf" 2>&1
}

# alg_setup NAME [sipalgd overrides...]
alg_setup() {
  local name=$1; shift
  alg_teardown
  case $name in
    none) ;;
    kernel)
      nsx gw nft -f - <<'NFT'
table ip sl_alg {
  ct helper sip-udp { type "sip" protocol udp; l3proto ip; }
  ct helper sip-tcp { type "sip" protocol tcp; l3proto ip; }
  chain pre {
    type filter hook prerouting priority filter; policy accept;
    udp dport 5060 ct helper set "sip-udp"
    tcp dport 5060 ct helper set "sip-tcp"
  }
}
NFT
      ;;
    sipalgd) sipalgd_start "$@" || return 1 ;;
    *) echo "alg: unknown '$name'" >&2; return 1 ;;
  esac
  CUR_ALG=$name
  alg_flush
}

alg_teardown() {
  sipalgd_stop
  nsx gw nft delete table ip sl_alg 2>/dev/null || true
  alg_flush
}

# An older helper-less conntrack would keep being used: start every case clean.
alg_flush() {
  nsx gw conntrack -F >/dev/null 2>&1 || true
  nsx gw conntrack -F expect >/dev/null 2>&1 || true
}

# One line per expectation, for the evidence. CT_FAMILY: conntrack lists one
# family (default ipv4); the IPv6 scenarios (lib/v6.sh) set ipv6.
alg_expectations() { nsx gw conntrack -L expect ${CT_FAMILY:+-f "$CT_FAMILY"} 2>/dev/null || true; }

# After a scenario that reconfigured or killed the ALG, put the standard one back.
ALG_DIRTY=0
alg_restore() {
  local a=$1
  if ((ALG_DIRTY)) || { [[ $a == sipalgd ]] && ! kill -0 "${SIPALGD_PID:-0}" 2>/dev/null; }; then
    ALG_DIRTY=0
    alg_setup "$a"
  fi
}
