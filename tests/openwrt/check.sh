#!/usr/bin/env bash
# What can be checked of packaging/openwrt here, without OpenWrt:
#  - shellcheck on the procd init script;
#  - `nft -c` on the fw4 include, placed as fw4 places it (inside `chain input_wan` of
#    `table inet fw4`), in a throwaway network namespace (root only; skipped otherwise);
#  - the include's port range matches the shipped config's port_min..port_max.
# Exit 77 when neither shellcheck nor root is available.
#   check.sh TOPDIR
set -u
top=$1
dir=$top/packaging/openwrt/sipalgd
fail=0 ran=0
if command -v shellcheck >/dev/null; then
	shellcheck -s sh "$dir/files/sipalgd.init" || { echo "FAIL: shellcheck sipalgd.init"; fail=1; }
	ran=1
else
	echo "check.sh: no shellcheck (tests/deps.sh installs it): skipped" >&2
fi
if [[ $(id -u) -eq 0 ]] && command -v nft >/dev/null; then
	tmp=$(mktemp -d /tmp/sipalgd-owrt-XXXXXX)
	trap 'rm -rf "$tmp"' EXIT
	cat > "$tmp/fw4.nft" <<NFT
table inet fw4 {
	chain input {
		type filter hook input priority filter; policy accept;
		iifname "wan" jump input_wan
	}
	chain input_wan {
		include "$dir/files/30-sipalgd.nft"
		reject
	}
}
NFT
	out=$(unshare -n nft -c -f "$tmp/fw4.nft" 2>&1) || { echo "FAIL: nft -c on the fw4 include: $out"; fail=1; }
	ran=1
else
	echo "check.sh: nft -c needs root and nft: skipped" >&2
fi
lo=$(sed -n 's/^port_min = //p' "$top/configs/sipalgd.conf")
hi=$(sed -n 's/^port_max = //p' "$top/configs/sipalgd.conf")
grep -q "udp dport $lo-$hi " "$dir/files/30-sipalgd.nft" ||
	{ echo "FAIL: the fw4 include's range is not the shipped $lo-$hi"; fail=1; }
((ran)) || exit 77
((fail)) || echo "openwrt: init script and fw4 include OK"
exit $fail
