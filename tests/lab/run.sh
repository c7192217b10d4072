#!/usr/bin/env bash
# The namespace lab: real softphones (baresip), a registrar/proxy (kamailio) and
# sipp across a NAT gateway, each scenario run with no ALG, the kernel's SIP
# helper and sipalgd, so the comparison is measured (issue 4).
#
#   tests/lab/run.sh [--host|--vm] [--alg none|kernel|sipalgd|all] [--pbx plain|nataware|anchored]
#                    [--reps N] [SCENARIO...]
#
# --host  run every row on the running kernel.
# --vm    run the rows inside a qemu guest on Debian's stock kernel (tests/vm/run.sh).
# Default: --host when this kernel can load nfnetlink_cthelper; otherwise the
# none/kernel rows run on the host and the sipalgd rows in the guest.
# --alg   default all.  --reps N: repetitions of each scenario (default 5).
# --pbx   the provider on the WAN (default plain; a comma list runs each): plain =
#         NAT-unaware registrar; nataware = kamailio nathelper + rtpengine anchoring
#         the calls it sees NATed; anchored = the same, anchoring every call.
# --list  print the scenarios.  SCENARIO: names from --list (default: all but
#         the ones run only when named: lib/scenarios.sh NAMED_SCENARIOS, none at present).
# Writes tests/lab/results/summary.json and summary.md (printed at the end).
# Exit 0 only if every sipalgd row passes (and at least one ran).
set -uo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$LAB_DIR/../.." && pwd)
# SL_RESULTS_DIR: another results directory, e.g. for two runs at once
RESULTS_DIR=${SL_RESULTS_DIR:-$LAB_DIR/results}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# shellcheck source=lib/scenarios.sh
source "$LAB_DIR/lib/scenarios.sh"

usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2; }

mode="" algs="all" pbxs=plain reps=5 in_guest=0 scen=()
while (($#)); do
  case $1 in
    --host) mode=host; shift ;;
    --vm) mode=vm; shift ;;
    --alg) algs=${2:?}; shift 2 ;;
    --pbx) pbxs=${2:?}; shift 2 ;;
    --reps) reps=${2:?}; shift 2 ;;
    --in-guest) in_guest=1; shift ;;   # internal: we are the guest half of --vm
    --list) printf '%s\n' "${SCENARIOS[@]}" "${NAMED_SCENARIOS[@]}"; exit 0 ;;
    -h|--help) usage ;;
    -*) echo "run.sh: unknown option $1" >&2; usage ;;
    *) scen+=("$1"); shift ;;
  esac
done
[[ $algs == all ]] && algs="none kernel sipalgd"
algs=${algs//,/ }
pbxs=${pbxs//,/ }
for p in $pbxs; do
  [[ $p == plain || $p == nataware || $p == anchored ]] ||
    { echo "run.sh: unknown --pbx '$p' (plain, nataware, anchored)" >&2; exit 2; }
done
((${#scen[@]})) || scen=("${SCENARIOS[@]}")
for s in "${scen[@]}"; do
  scenario_known "$s" || { echo "run.sh: unknown scenario '$s' (see --list)" >&2; exit 2; }
done
[[ $reps =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: --reps takes a positive number" >&2; exit 2; }
((EUID == 0)) || { echo "run.sh: must run as root (namespaces, nft, conntrack)" >&2; exit 2; }

source "$LAB_DIR/lib/topo.sh"
source "$LAB_DIR/lib/alg.sh"
source "$LAB_DIR/lib/deps.sh"

if ((!in_guest)); then
  lab_deps || { echo "run.sh: installing the lab's packages failed" >&2; exit 2; }
  rm -rf "$RESULTS_DIR"; mkdir -p "$RESULTS_DIR"
fi

wants_sipalgd=0
[[ " $algs " == *" sipalgd "* ]] && wants_sipalgd=1
if [[ -z $mode ]]; then
  if kernel_has_cthelper; then mode=host; else mode=split; fi
fi
if ((wants_sipalgd && !in_guest)); then
  echo "lab: building sipalgd" >&2
  sipalgd_build || echo "lab: sipalgd build failed; its rows will fail" >&2
fi

host_algs="" vm_algs=""
case $mode in
  host) host_algs=$algs ;;
  vm) vm_algs=$algs ;;
  split) for a in $algs; do
           if [[ $a == sipalgd ]]; then vm_algs+=" $a"; else host_algs+=" $a"; fi
         done ;;
esac

rc_host=0 rc_vm=0
if [[ -n ${host_algs// /} ]]; then
  echo "lab: running on this kernel ($(uname -r)): algs [$host_algs], ${#scen[@]} scenarios x $reps" >&2
  # one lab per kernel and prefix at a time: the namespace names carry SL_PREFIX (the guest has
  # its own kernel and /tmp, so a --vm run does not need the host's lock)
  flock -w 900 "/tmp/${SL_PREFIX:-sl-}lab.lock" \
  bash "$LAB_DIR/lib/local.sh" --place "$( ((in_guest)) && echo vm || echo host)" \
    --algs "$host_algs" --pbxs "$pbxs" --reps "$reps" "${scen[@]}"
  rc_host=$?
fi
if [[ -n ${vm_algs// /} ]]; then
  echo "lab: running in the qemu guest: algs [$vm_algs]" >&2
  # the guest sees the host root read-only; results come back over --rw; the
  # guest gets no environment but what is named here: every SL_* knob too
  fwd=()
  for v in $(compgen -e); do [[ $v == SL_* ]] && fwd+=("$v=${!v}"); done
  # the guest time limit: 3000 s per provider profile unless SL_VM_TIMEOUT says
  npbx=$(wc -w <<<"$pbxs")
  bash "$TOP/tests/vm/run.sh" --mem 2048 --smp 2 --timeout "${SL_VM_TIMEOUT:-$((3000 * npbx))}" \
    --rw "$RESULTS_DIR" -- \
    env "${fwd[@]}" SL_RESULTS_DIR="$RESULTS_DIR" SIPALGD_BIN="${SIPALGD_BIN:-}" \
    bash "$LAB_DIR/run.sh" --host --in-guest --alg "${vm_algs# }" --pbx "${pbxs// /,}" \
      --reps "$reps" "${scen[@]}"
  rc_vm=$?
  ((rc_vm == 0 || rc_vm == 1)) ||
    echo "lab: the guest run failed (status $rc_vm); its rows are missing" >&2
fi
((in_guest)) && exit 0

python3 "$LAB_DIR/tools/summary.py" --results "$RESULTS_DIR" --algs "$algs" --pbxs "$pbxs" \
  --reps "$reps" "${scen[@]}"
