#!/usr/bin/env bash
# The man pages render: groff -ww (all warnings) prints nothing, man -l renders them with
# their NAME line, and the text has no unrendered request left over.
#   check_render.sh PAGE...
set -u
fail=0
for page in "$@"; do
	warn=$(groff -ww -man -z "$page" 2>&1)
	[[ -z $warn ]] || { echo "FAIL: $page: groff -ww: $warn"; fail=1; }
	out=$(MANWIDTH=80 man -l "$page" 2>&1); rc=$?
	[[ $rc == 0 ]] || { echo "FAIL: $page: man -l exited $rc"; fail=1; }
	[[ $out == *NAME*sipalgd* ]] || { echo "FAIL: $page: man -l shows no NAME section"; fail=1; }
	left=$(grep -nE '^\.[A-Za-z]|\\f[BIR]' <<<"$out")
	[[ -z $left ]] || { echo "FAIL: $page: unrendered markup: $left"; fail=1; }
	echo "$page: $(wc -l <<<"$out") lines rendered"
done
exit $fail
