#!/usr/bin/env bash
# The lab demo (README "main job"): on a fresh Debian 12 machine, as root,
#
#   tests/lab/demo.sh [--alg sipalgd|kernel|none]
#
# installs what it needs (apt-get), builds sipalgd, builds the namespace lab, lets a
# LAN phone behind the NAT register and call a WAN phone through the ALG (default
# sipalgd; inside a qemu guest on Debian's stock kernel when this kernel has no
# nfnetlink_cthelper) and prints who heard what. Exit 0 when both sides heard each other.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
results=${SL_RESULTS_DIR:-$here/results}
alg=sipalgd
case ${1:-} in
  --alg) alg=${2:?--alg needs none, kernel or sipalgd} ;;
  "") ;;
  *) sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0" >&2; exit 2 ;;
esac
bash "$here/run.sh" --alg "$alg" --reps 1 call-out >/dev/null
rc=$?
echo
echo "=== who heard what (LAN phone l1 sends 500 Hz, WAN phone w1 sends 900 Hz) ==="
python3 "$here/tools/whoheard.py" "$results/summary.json" call-out
echo "(full evidence: $results/summary.md)"
if [[ $alg != sipalgd ]]; then
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if all(x["pass"] for x in r) else 1)' \
    "$results/summary.json"
  exit $?
fi
exit $rc
