#!/usr/bin/env python3
"""Summarise the gateway's LAN-side and WAN-side captures for the evidence.

Usage: pcapsum.py LAN.pcap WAN.pcap [--sip-port 5060]
Prints JSON: per side, SIP requests/responses seen (by method / status code,
and direction), and media packets (non-SIP UDP) in each direction.  "out" is
from the LAN towards the WAN.  Plain python3: classic pcap, Ethernet, IPv4
and IPv6 (the IPv6 lab, lib/v6.sh: addresses in RFC 5952 text, as conntrack
and the SDPs print them).
"""
import argparse
import ipaddress
import json
import re
import struct

LAN_PREFIX = "192.168."
GW_WAN = "203.0.113.1"
# the IPv6 lab (lib/v6.sh): the LAN's prefix and the gateway's WAN address.
# Routed (no NAT66) the phones' own addresses cross the WAN leg.
LAN_NET6 = ipaddress.ip_network("2001:db8:1::/64")
GW_WAN6 = "2001:db8:113::1"
# IPv6 extension headers walked to reach UDP/TCP: hop-by-hop, routing, destination options
EXT6 = (0, 43, 60)
START_LINE = re.compile(rb"^(?:SIP/2\.0 (\d{3})|([A-Z]+) \S+ SIP/2\.0)")


def records(path):
    """(timestamp, frame) for every packet of a classic pcap (micro- or nanosecond)."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return
    with f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        endian = "<" if hdr[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        nano = hdr[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, _ = struct.unpack(endian + "IIII", rec)
            data = f.read(incl)
            if len(data) < incl:
                return
            yield sec + frac / (1e9 if nano else 1e6), data


def packets(path):
    for _, data in records(path):
        yield data


def ip6_layer(frame):
    """-> (proto, src, dst, l4) of an IPv6 frame (l4 without Ethernet padding), or None;
    a fragment other than the first has no L4 header: None"""
    if len(frame) < 54 or frame[12:14] != b"\x86\xdd":
        return None
    ip = frame[14:]
    plen = struct.unpack("!H", ip[4:6])[0]
    nxt, off, end = ip[6], 40, 40 + plen
    while nxt in EXT6 or nxt == 44:
        if len(ip) < off + 8:
            return None
        if nxt == 44:
            if struct.unpack("!H", ip[off + 2:off + 4])[0] & 0xFFF8:
                return None
            nxt, off = ip[off], off + 8
        else:
            nxt, off = ip[off], off + (ip[off + 1] + 1) * 8
    src = ipaddress.IPv6Address(bytes(ip[8:24])).compressed
    dst = ipaddress.IPv6Address(bytes(ip[24:40])).compressed
    return nxt, src, dst, ip[off:end]


def norm(addr):
    """RFC 5952 text of an address (IPv4 as it is), to compare text from any tool"""
    if ":" not in addr:
        return addr
    try:
        return ipaddress.IPv6Address(addr.strip("[]")).compressed
    except ValueError:
        return addr


def is_lan(addr):
    """A LAN host's address: 192.168.x or the IPv6 LAN prefix"""
    if addr.startswith(LAN_PREFIX):
        return True
    if ":" not in addr:
        return False
    try:
        return ipaddress.IPv6Address(addr.strip("[]")) in LAN_NET6
    except ValueError:
        return False


def parse(frame):
    """-> (proto, src, sport, dst, dport, payload) or None"""
    if frame[12:14] == b"\x86\xdd":
        v6 = ip6_layer(frame)
        if not v6:
            return None
        proto, src, dst, l4 = v6
        if proto == 17 and len(l4) >= 8:
            sport, dport = struct.unpack("!HH", l4[:4])
            return "udp", src, sport, dst, dport, l4[8:]
        if proto == 6 and len(l4) >= 20:
            sport, dport = struct.unpack("!HH", l4[:4])
            return "tcp", src, sport, dst, dport, l4[(l4[12] >> 4) * 4:]
        return None
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0x0F) * 4
    proto = ip[9]
    src = ".".join(str(b) for b in ip[12:16])
    dst = ".".join(str(b) for b in ip[16:20])
    l4 = ip[ihl:]
    if proto == 17 and len(l4) >= 8:
        sport, dport = struct.unpack("!HH", l4[:4])
        return "udp", src, sport, dst, dport, l4[8:]
    if proto == 6 and len(l4) >= 20:
        sport, dport = struct.unpack("!HH", l4[:4])
        off = (l4[12] >> 4) * 4
        return "tcp", src, sport, dst, dport, l4[off:]
    return None


def outward(side, src):
    """From the LAN towards the WAN: on the WAN leg the gateway's address (NAT),
    or over routed IPv6 a LAN phone's own"""
    if side == "lan":
        return is_lan(src)
    return src == GW_WAN or (":" in src and (norm(src) == GW_WAN6 or is_lan(src)))


def summarise(path, side, sip_port):
    res = {"sip_out": {}, "sip_in": {}, "media_out": 0, "media_in": 0, "packets": 0}
    if side == "wan":
        # media packets by far address: a provider's media relay (--pbx
        # nataware|anchored) shows here as the far end instead of the phone
        res["media_peers"] = {}
    for frame in packets(path):
        p = parse(frame)
        if not p:
            continue
        proto, src, sport, dst, dport, payload = p
        res["packets"] += 1
        d = "out" if outward(side, src) else "in"
        if sip_port in (sport, dport):
            # TCP segments may hold several messages; count every start line
            for line in payload.split(b"\r\n"):
                m = START_LINE.match(line)
                if m:
                    key = (m.group(1) or m.group(2)).decode()
                    res["sip_" + d][key] = res["sip_" + d].get(key, 0) + 1
        elif proto == "udp":
            res["media_" + d] += 1
            if side == "wan":
                peer = dst if d == "out" else src
                res["media_peers"][peer] = res["media_peers"].get(peer, 0) + 1
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lan")
    ap.add_argument("wan")
    ap.add_argument("--sip-port", type=int, default=5060)
    a = ap.parse_args()
    print(json.dumps({"lan": summarise(a.lan, "lan", a.sip_port),
                      "wan": summarise(a.wan, "wan", a.sip_port)}))


if __name__ == "__main__":
    main()
