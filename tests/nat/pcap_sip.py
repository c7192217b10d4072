#!/usr/bin/env python3
"""Check the SIP payloads in a pcap (tcpdump -w, Ethernet or Linux cooked).

  pcap_sip.py PCAP [must-contain=TEXT]... [must-not-contain=TEXT]... [csum-from=IP]
Prints one line per UDP packet (src > dst, length, checksum status) and exits
1 if a checked packet has a wrong UDP checksum, a payload contains a
must-not-contain text, or no packet contains a must-contain text.
The checksum is recomputed here, independently of libnetfilter_queue. With
csum-from=IP only packets from IP are checked: a capture taken on the
sender's side of a veth shows offloaded (partial) checksums.
"""
import struct
import sys


def csum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def packets(path):
    with open(path, "rb") as f:
        raw = f.read()
    magic, = struct.unpack("<I", raw[:4])
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype, = struct.unpack(endian + "I", raw[20:24])
    off = 24
    while off + 16 <= len(raw):
        _, _, incl, _ = struct.unpack(endian + "IIII", raw[off:off + 16])
        frame = raw[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:
            l3 = frame[14:]
        elif linktype == 113:
            l3 = frame[16:]
        elif linktype == 276:
            l3 = frame[20:]
        else:
            l3 = frame
        yield l3


def main():
    path, args = sys.argv[1], sys.argv[2:]
    must = [a.split("=", 1)[1].encode() for a in args if a.startswith("must-contain=")]
    mustnot = [a.split("=", 1)[1].encode() for a in args if a.startswith("must-not-contain=")]
    csum_from = [a.split("=", 1)[1] for a in args if a.startswith("csum-from=")]
    seen = {m: False for m in must}
    bad = 0
    for ip in packets(path):
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        ihl = (ip[0] & 15) * 4
        tot = struct.unpack("!H", ip[2:4])[0]
        udp = ip[ihl:tot]
        src, dst = ip[12:16], ip[16:20]
        sport, dport, ulen, check = struct.unpack("!HHHH", udp[:8])
        pseudo = src + dst + struct.pack("!BBH", 0, 17, len(udp))
        src_txt = ".".join(map(str, src))
        ok = check == 0 or csum(pseudo + udp) == 0xFFFF
        if csum_from and src_txt not in csum_from:
            ok = True
        payload = udp[8:]
        first = payload.split(b"\r\n", 1)[0].decode(errors="replace")
        print("%s:%d > %s:%d len %d csum %s  %s" % (
            ".".join(map(str, src)), sport, ".".join(map(str, dst)), dport,
            len(payload), "ok" if ok else "BAD", first))
        if not ok or ulen != len(udp):
            bad += 1
        for m in mustnot:
            if m in payload:
                print("  contains forbidden %r" % m.decode())
                bad += 1
        for m in must:
            if m in payload:
                seen[m] = True
    for m, s in seen.items():
        if not s:
            print("no packet contains %r" % m.decode())
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
