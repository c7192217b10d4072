#!/usr/bin/env python3
"""The UDP payloads of a pcap, in order, one hex line each.

  pcap_payloads.py PCAP [PORT]
Only datagrams from or to PORT (default 5060). Two captures on the two legs of a
gateway print the same lines when it passed every datagram byte for byte.
"""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcap_sip import packets  # noqa: E402

port = int(sys.argv[2]) if len(sys.argv) > 2 else 5060
for ip in packets(sys.argv[1]):
    if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
        continue
    ihl = (ip[0] & 15) * 4
    tot = struct.unpack("!H", ip[2:4])[0]
    sport, dport = struct.unpack("!HH", ip[ihl:ihl + 4])
    if port in (sport, dport):
        print(ip[ihl + 8:tot].hex())
