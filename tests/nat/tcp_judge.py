#!/usr/bin/env python3
"""The packet and stream facts of tcp_stream.sh's cases, in one pass (one python start:
under TCG each start costs seconds).

  tcp_judge.py WORKDIR CASE:PORT...
      reads WORKDIR/lan.pcap and wan.pcap (the gateway's legs), WORKDIR/cases/CASE/
      (chunk-N, sent.bin, answers.bin) and WORKDIR/srv/conn-PORT.bin (what the server
      got), and writes into WORKDIR/cases/CASE/:
        facts     key=value lines: lan_bounds, wan_bounds (1 = the distinct data segments
                  are exactly the chunks), wan_starts_invite, wan_segments (distinct
                  offsets), retrans (identical|different|none), server_identical
        segments.txt  both legs' data segments (offset, length, copy, first bytes)
        msgs.txt, answers.txt  tcp_msgs.py's summary of the server's and the client's stream
        retx.bin  the payload of the first offset the WAN leg carried twice
The LAN leg's flow is 192.168.77.10:PORT, the WAN leg's 203.0.113.1:PORT (masquerade keeps
the port; the server's peers.log shows it if not).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcp_msgs import summary  # noqa: E402
from tcp_pcap import bounds_ok, flows, listing, retrans  # noqa: E402


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def judge(work, case, port, lan_flows, wan_flows):
    d = os.path.join(work, "cases", case)
    names = sorted((n for n in os.listdir(d) if n.startswith("chunk-")), key=lambda n: int(n[6:]))
    chunks = [read(os.path.join(d, n)) for n in names]
    lan = lan_flows.get(("192.168.77.10", port), [])
    wan = wan_flows.get(("203.0.113.1", port), [])
    got = read(os.path.join(work, "srv", "conn-%d.bin" % port))
    verdict, payload, text = retrans(wan)
    facts = {
        "lan_bounds": int(bounds_ok(lan, chunks)),
        "wan_bounds": int(bounds_ok(wan, chunks)),
        "wan_starts_invite": int(any(p.startswith(b"INVITE sip:") for _, p in wan)),
        "wan_segments": len({off for off, _ in wan}),
        "retrans": verdict,
        "server_identical": int(bool(got) and got == read(os.path.join(d, "sent.bin"))),
    }
    with open(os.path.join(d, "facts"), "w") as f:
        f.write("".join("%s=%s\n" % kv for kv in facts.items()))
    with open(os.path.join(d, "segments.txt"), "w") as f:
        f.write("\n".join(["LAN leg:"] + listing("192.168.77.10:%d" % port, lan) +
                          ["WAN leg:"] + listing("203.0.113.1:%d" % port, wan) +
                          ["WAN retransmission: " + text]) + "\n")
    with open(os.path.join(d, "retx.bin"), "wb") as f:
        f.write(payload)
    for name, data in (("msgs.txt", got), ("answers.txt", read(os.path.join(d, "answers.bin")))):
        with open(os.path.join(d, name), "w") as f:
            f.write("\n".join(summary(data)) + "\n")


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    work = sys.argv[1]
    lan, wan = flows(os.path.join(work, "lan.pcap")), flows(os.path.join(work, "wan.pcap"))
    for spec in sys.argv[2:]:
        case, port = spec.split(":")
        judge(work, case, int(port), lan, wan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
