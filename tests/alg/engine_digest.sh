#!/usr/bin/env bash
# engine_digest.sh BIN DIR EXPECTED [--record]
# The engine's decisions over DIR (engine_digest, one line per file) must be
# the ones recorded in EXPECTED: a change to how the engine validates or
# scans must not change what it accepts, rewrites or reports. --record
# writes EXPECTED anew (only when a change of output is meant: say why in
# the commit). Exit 77 (skipped) when DIR is absent.
set -u
bin=$1 dir=$2 exp=$3
got=$(mktemp)
trap 'rm -f "$got"' EXIT
"$bin" "$dir" >"$got.raw"; rc=$?
LC_ALL=C sort "$got.raw" >"$got"; rm -f "$got.raw"
[ "$rc" = 77 ] && { echo "$dir absent: skipped"; exit 77; }
[ "$rc" = 0 ] || { echo "engine_digest failed (rc $rc)"; exit 1; }
if [ "${4:-}" = --record ]; then
  cp "$got" "$exp"; echo "recorded $(wc -l <"$exp") files into $exp"; exit 0
fi
if diff -u "$exp" "$got"; then
  echo "$(wc -l <"$got") files: every decision as recorded ($(awk '{split($2,a,"=");n+=a[2]} END{print n}' "$got") messages)"
  exit 0
fi
echo "FAIL: the engine decides differently on the files above."
echo "Per message: $bin $dir -v FILE  (run it on the old and new engine and diff)"
exit 1
