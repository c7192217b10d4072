#!/usr/bin/env bash
# Runs scenarios x ALGs on the running kernel (the host, or inside the guest)
# and appends one JSON line per repetition to $RESULTS_DIR/reps-<place>.jsonl.
#   local.sh --place host|vm --algs "none kernel sipalgd" [--pbxs "plain nataware"] --reps N SCENARIO...
set -uo pipefail
export LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOP=$(cd "$LAB_DIR/../.." && pwd)
RESULTS_DIR=${SL_RESULTS_DIR:-$LAB_DIR/results}

place=host algs="" pbxs=plain reps=1 scen=()
while (($#)); do
  case $1 in
    --place) place=$2; shift 2 ;;
    --algs) algs=$2; shift 2 ;;
    --pbxs) pbxs=$2; shift 2 ;;
    --reps) reps=$2; shift 2 ;;
    *) scen+=("$1"); shift ;;
  esac
done

RUN_DIR=$(mktemp -d /tmp/sl-run.XXXXXX)
REP_DIR=$RUN_DIR
mkdir -p "$RESULTS_DIR"
REPS_FILE="$RESULTS_DIR/reps-$place.jsonl"

for f in topo alg phone pbx rtpengine observe call sipp v6 scenarios; do
  # shellcheck source=/dev/null
  source "$LAB_DIR/lib/$f.sh"
done
for f in "$LAB_DIR"/scenarios/*.sh; do source "$f"; done

cleanup() {
  trap - EXIT INT TERM
  phones_stop_all
  sipp_stop_all
  cap_stop
  pbx_stop
  alg_teardown
  topo_down
  rm -rf "$RUN_DIR"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# record SCENARIO ALG REP RC SECONDS: one line of results, evidence kept on failure
record() {
  local s=$1 a=$2 r=$3 rc=$4 secs=$5
  python3 "$LAB_DIR/tools/represult.py" --rep-dir "$REP_DIR" --scenario "$s" --alg "$a" \
    --rep "$r" --rc "$rc" --place "$place" --seconds "$secs" --pbx "$PBX_PROFILE" >>"$REPS_FILE"
  if ((rc == 1)); then
    local keep="$RESULTS_DIR/evidence/$place/$a/$s.$r"
    # the plain profile keeps its old place; another profile gets its own level
    [[ $PBX_PROFILE == plain ]] || keep="$RESULTS_DIR/evidence/$place/$PBX_PROFILE/$a/$s.$r"
    mkdir -p "$keep"
    find "$REP_DIR" -maxdepth 1 -type f ! -name '.mark-*' -exec cp {} "$keep/" \;
    cp -r "$REP_DIR/phones" "$keep/" 2>/dev/null || true
    cp "$RUN_DIR/pbx"/*.log "$RUN_DIR"/sipalgd*.log "$keep/" 2>/dev/null || true
  fi
}

if [[ $place == vm ]]; then
  # the guest's stock kernel has all of this as modules
  for m in veth bridge nf_conntrack nf_nat nf_tables nft_ct nft_nat nft_masq nft_chain_nat \
           nf_conntrack_sip nf_nat_sip nfnetlink_queue nfnetlink_cthelper nf_conntrack_netlink \
           xt_NFQUEUE; do
    modprobe -q "$m" 2>/dev/null || true
  done
fi

if ! topo_up >"$RUN_DIR/topo.log" 2>&1; then
  for a in $algs; do for PBX_PROFILE in $pbxs; do for s in "${scen[@]}"; do
    echo "{\"topology\": \"failed\"}" >"$REP_DIR/topology.json"; record "$s" "$a" 1 1 0
  done; done; done
  cat "$RUN_DIR/topo.log" >&2
  exit 1
fi

for a in $algs; do
  if ! alg_setup "$a" 2>"$RUN_DIR/alg-setup.log"; then
    python3 -c 'import json,sys; print(json.dumps({"alg_setup": "failed", "why": open(sys.argv[1]).read()[-800:]}))' \
      "$RUN_DIR/alg-setup.log" >"$RUN_DIR/alg_setup.json"
    for PBX_PROFILE in $pbxs; do for s in "${scen[@]}"; do record "$s" "$a" 1 1 0; done; done
    rm -f "$RUN_DIR/alg_setup.json"
    echo "lab: alg $a: setup failed: $(tail -3 "$RUN_DIR/alg-setup.log")" >&2
    continue
  fi
  CUR_ALG_UNDER_TEST=$a
  for PBX_PROFILE in $pbxs; do
    pbx_start rr || true
    for s in "${scen[@]}"; do
      n=$(scenario_reps "$s" "$reps")
      for ((r = 1; r <= n; r++)); do
        REP_DIR="$RUN_DIR/$PBX_PROFILE/$a/$s.$r"
        mkdir -p "$REP_DIR"
        alg_flush
        topo_ct_timeouts 30 120
        cap_start "$REP_DIR"
        g0=$(guard_drops)
        t0=$SECONDS
        "scn_${s//-/_}" >"$REP_DIR/scenario.log" 2>&1
        rc=$?
        cap_stop "$REP_DIR"
        guard_note "$REP_DIR" "${g0:-0}"
        phones_stop_all
        sipp_stop_all
        [[ ${PBX_MODE:-rr} == rr ]] || pbx_start rr
        alg_restore "$a" 2>>"$REP_DIR/scenario.log" || true
        record "$s" "$a" "$r" "$rc" $((SECONDS - t0))
        tag=$a; [[ $PBX_PROFILE == plain ]] || tag="$PBX_PROFILE/$a"
        echo "lab: [$place] $tag $s #$r: $(case $rc in 0) echo pass;; 2) echo n/a;; *) echo FAIL;; esac) ($((SECONDS - t0)) s)" >&2
        REP_DIR=$RUN_DIR
      done
    done
  done
  alg_teardown
done
exit 0
