#!/usr/bin/env bash
# The Debian package, end to end, as root on Debian 12 (tests/run.sh runs it as a step):
#  1. copy the checkout to a temporary directory (the checkout stays clean) and build the
#     package there with `dpkg-buildpackage -us -uc -b`;
#  2. lintian: no error (warnings are printed);
#  3. install it, check the files, the conffiles and `sipalgd -n` on the installed config;
#     an operator's edit of the conffile survives a reinstall;
#  4. purge it: nothing of it left in /etc, /usr or /lib.
# Refuses (exit 1) when sipalgd is already installed here, so an operator's files are never
# touched. Exit 77 (skipped) without root.
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
if [[ $(id -u) -ne 0 ]]; then
	echo "tests/package/check.sh: needs root (it installs the package); skipped" >&2
	exit 77
fi
if dpkg-query -W -f='${Status}' sipalgd 2>/dev/null | grep -q installed ||
   [[ -e /etc/sipalgd || -e /usr/sbin/sipalgd ]]; then
	echo "FAIL: sipalgd is already installed on this machine (package, /etc/sipalgd or" \
	     "/usr/sbin/sipalgd): not touching it" >&2
	exit 1
fi
tmp=$(mktemp -d /tmp/sipalgd-pkg-XXXXXX)
installed=0
# shellcheck disable=SC2317  # the EXIT trap calls it
cleanup() {
	if ((installed)); then dpkg --purge sipalgd >/dev/null 2>&1; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
fail=0
step() { echo "package: $*"; }
bad() { echo "FAIL: $*"; fail=1; }
t0=$SECONDS

# 1. build from a copy: tracked and new files, not build trees or caches (.gitignore)
mkdir "$tmp/src"
if git -C "$top" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$top" ls-files -z --cached --others --exclude-standard |
		(cd "$top" && tar --null -T - -cf -) | tar -C "$tmp/src" -xf -
else
	tar -C "$top" --exclude='./build*' --exclude='./tests/vm/.cache' \
		--exclude='./tests/lab/results*' --exclude='./tests/lab/.cache' -cf - . |
		tar -C "$tmp/src" -xf -
fi
step "building in $tmp/src"
if ! (cd "$tmp/src" && DEB_BUILD_OPTIONS="parallel=2" nice dpkg-buildpackage -us -uc -b) \
	>"$tmp/build.log" 2>&1; then
	tail -40 "$tmp/build.log"
	echo "FAIL: dpkg-buildpackage failed (log above)"
	exit 1
fi
debs=("$tmp"/sipalgd_*.deb) changes=("$tmp"/sipalgd_*.changes)
deb=${debs[0]}
[[ -e $deb && -e ${changes[0]} ]] || { echo "FAIL: no .deb or .changes in $tmp"; exit 1; }
step "built $(basename "$deb") in $((SECONDS - t0)) s"

# 2. lintian
lintian --fail-on error --tag-display-limit 0 "${changes[0]}" >"$tmp/lintian.txt" 2>&1
rc=$?
grep -v 'running with root privileges' "$tmp/lintian.txt" | sed 's/^/  lintian: /'
((rc == 0)) || bad "lintian reports errors (exit $rc)"
step "lintian: $(grep -c '^E:' "$tmp/lintian.txt") errors, $(grep -c '^W:' "$tmp/lintian.txt") warnings"

# 3. install and check; what names sipalgd in /etc, /usr and /lib before, to compare after purge
find /etc /usr /lib -name '*sipalgd*' 2>/dev/null | sort > "$tmp/before.txt"
dpkg -i "$deb" >"$tmp/install.log" 2>&1 || { cat "$tmp/install.log"; echo "FAIL: dpkg -i"; exit 1; }
installed=1
dpkg -L sipalgd > "$tmp/files.txt"
for f in /usr/sbin/sipalgd /etc/sipalgd/sipalgd.conf /etc/sipalgd/sipalgd.nft \
	 /lib/systemd/system/sipalgd.service /usr/share/man/man8/sipalgd.8.gz \
	 /usr/share/man/man5/sipalgd.conf.5.gz /usr/share/doc/sipalgd/README.md \
	 /usr/share/doc/sipalgd/copyright; do
	if ! grep -qx "$f" "$tmp/files.txt" || [[ ! -e $f ]]; then bad "$f not installed by the package"; fi
done
conffiles=$(dpkg-query -W -f='${Conffiles}' sipalgd)
for f in /etc/sipalgd/sipalgd.conf /etc/sipalgd/sipalgd.nft; do
	[[ $conffiles == *"$f "* ]] || bad "$f is not a conffile"
done
doc=$(sed -n 's|^Documentation=file:||p' /lib/systemd/system/sipalgd.service)
[[ -e $doc ]] || bad "the unit's Documentation= ($doc) does not exist"
exe=$(sed -n 's|^ExecStart=\([^ ]*\).*|\1|p' /lib/systemd/system/sipalgd.service)
[[ $exe == /usr/sbin/sipalgd ]] || bad "the unit runs '$exe', not /usr/sbin/sipalgd"
out=$(sipalgd -n -c /etc/sipalgd/sipalgd.conf 2>&1)
[[ $out == "configuration OK" ]] || bad "sipalgd -n on the installed config: '$out'"
out=$(sipalgd --version 2>&1)
[[ $out == "sipalgd "* ]] || bad "sipalgd --version: '$out'"
MANWIDTH=80 man sipalgd.conf 2>/dev/null | grep -q 'registration_timeout_max' ||
	bad "man sipalgd.conf does not show the installed page"
step "installed: sipalgd -n: $(sipalgd -n -c /etc/sipalgd/sipalgd.conf 2>&1)"

# the operator's edit survives a reinstall (dpkg keeps a changed conffile)
sed -i 's/^log_level = info$/log_level = debug/' /etc/sipalgd/sipalgd.conf
dpkg -i --force-confold "$deb" >"$tmp/reinstall.log" 2>&1 || bad "reinstall failed"
grep -q '^log_level = debug$' /etc/sipalgd/sipalgd.conf || bad "a reinstall overwrote the operator's sipalgd.conf"

# 4. purge: nothing left
dpkg --purge sipalgd >"$tmp/purge.log" 2>&1 || { cat "$tmp/purge.log"; bad "dpkg --purge"; }
installed=0
left=()
while read -r f; do
	[[ -e $f && ! -d $f ]] && left+=("$f")
done < "$tmp/files.txt"
[[ -e /etc/sipalgd ]] && left+=(/etc/sipalgd)
[[ -e /usr/share/doc/sipalgd ]] && left+=(/usr/share/doc/sipalgd)
((${#left[@]} == 0)) || bad "left after purge: ${left[*]}"
find /etc /usr /lib -name '*sipalgd*' 2>/dev/null | sort > "$tmp/after.txt"
new=$(comm -13 "$tmp/before.txt" "$tmp/after.txt")
[[ -z $new ]] || bad "left after purge: $new"
step "purged: nothing left ($((SECONDS - t0)) s in all)"
((fail)) && echo "package: FAILED" || echo "package: OK"
exit $fail
