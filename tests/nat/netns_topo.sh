# netns_topo.sh - sourced: the test topology of tests/nat, all in namespaces.
#
#   topo_up LAN GW WAN
#     LAN 192.168.77.10/24 (default via GW) -- GW lan0 192.168.77.1, wan0 203.0.113.1
#     (forwarding, masquerade out of wan0) -- WAN 203.0.113.2/24 (no default route: a
#     private address that leaks into SIP is unreachable there, as on the internet).
#   topo_down LAN GW WAN
topo_up() {
	local lan=$1 gw=$2 wan=$3 n
	ip netns add "$lan"; ip netns add "$gw"; ip netns add "$wan"
	ip -n "$lan" link add eth0 type veth peer name lan0 netns "$gw"
	ip -n "$gw" link add wan0 type veth peer name eth0 netns "$wan"
	ip -n "$lan" addr add 192.168.77.10/24 dev eth0
	ip -n "$gw" addr add 192.168.77.1/24 dev lan0
	ip -n "$gw" addr add 203.0.113.1/24 dev wan0
	ip -n "$wan" addr add 203.0.113.2/24 dev eth0
	for n in "$lan" "$gw" "$wan"; do ip -n "$n" link set lo up; done
	ip -n "$lan" link set eth0 up; ip -n "$wan" link set eth0 up
	ip -n "$gw" link set lan0 up; ip -n "$gw" link set wan0 up
	ip -n "$lan" route add default via 192.168.77.1
	ip netns exec "$gw" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$gw" nft -f - <<'NFT'
table ip natlab {
	chain post { type nat hook postrouting priority srcnat; oifname "wan0" masquerade; }
}
NFT
}

topo_down() {
	local n
	for n in "$@"; do ip netns del "$n" 2>/dev/null || true; done
}
