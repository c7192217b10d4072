#!/usr/bin/env python3
"""SIP messages and their SDP media ports, read from a gateway capture.

Shared by pinholes.py and wanleg.py. `messages(pcap, side)` yields each SIP
message on port 5060 (over TCP reassembled, tcpstream.py) with its direction
("out" = from the LAN towards the WAN); `announced(...)` gives the audio
ports the SDPs announce.

Usage (for the lab's bash polls, which must not parse SDP themselves):
  sipscan.py ports WAN.pcap LAN.pcap
prints "PUBLIC_PORTS|PRIVATE_PORTS": the RTP/RTCP ports the LAN phone's SDP
announced on the WAN leg (as the gateway sent it) and on the LAN leg (as the
phone sent it), space separated.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402
import tcpstream  # noqa: E402

SIP_PORT = 5060
M_AUDIO = re.compile(rb"^m=audio (\d+)")
A_RTCP = re.compile(rb"^a=rtcp:(\d+)")
C_LINE = re.compile(rb"^c=IN IP[46] (\S+)")


def messages(pcap, side):
    """-> (direction, src, dst, payload) of every SIP message in the capture:
    a UDP datagram, or a whole message reassembled from TCP segments (a line
    cut between two segments must be read whole)"""
    tcp = tcpstream.Reassembler(SIP_PORT)

    def one(src, dst, payload):
        return "out" if pcapsum.outward(side, src) else "in", src, dst, payload
    for frame in pcapsum.packets(pcap):
        p = pcapsum.parse(frame)
        if not p or SIP_PORT not in (p[2], p[4]):
            continue
        if p[0] == "tcp":
            for src, _, dst, _, msg, _ in tcp.feed(frame):
                yield one(src, dst, msg)
        elif p[5]:
            yield one(p[1], p[3], p[5])
    for src, _, dst, _, msg, _ in tcp.rest():
        yield one(src, dst, msg)


def sdp_streams(payload):
    """-> [{"addr", "rtp", "rtcp"}] of the audio m-lines in a SIP payload.

    Line based, so a TCP segment holding several messages still works; the
    RTCP port is the a=rtcp one when given, else RTP + 1 (RFC 3605)."""
    out, conn = [], None
    for line in payload.split(b"\r\n"):
        m = C_LINE.match(line)
        if m:
            conn = m.group(1).decode(errors="replace")
            if out and out[-1]["addr"] is None:
                out[-1]["addr"] = conn
            continue
        m = M_AUDIO.match(line)
        if m:
            port = int(m.group(1))
            # a session-level c= applies until a media-level one overrides it
            out.append({"addr": conn, "rtp": port, "rtcp": port + 1 if port else 0})
            continue
        m = A_RTCP.match(line)
        if m and out:
            out[-1]["rtcp"] = int(m.group(1))
    return out


def announced(pcap, side, direction):
    """Audio streams announced by SDPs travelling in `direction` on that leg."""
    res = []
    for d, _, _, payload in messages(pcap, side):
        if d == direction:
            res.extend(s for s in sdp_streams(payload) if s["rtp"])
    return res


def port_set(streams):
    ports = set()
    for s in streams:
        ports.update((s["rtp"], s["rtcp"]))
    return sorted(ports)


def main():
    if len(sys.argv) != 4 or sys.argv[1] != "ports":
        raise SystemExit(__doc__)
    pub = port_set(announced(sys.argv[2], "wan", "out"))
    priv = port_set(announced(sys.argv[3], "lan", "out"))
    print(" ".join(map(str, pub)) + "|" + " ".join(map(str, priv)))


if __name__ == "__main__":
    main()
