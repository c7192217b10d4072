#!/usr/bin/env python3
"""The verdicts of tcp_stream.sh's cases, from what its traffic phase left, in one python
run (under TCG every process start costs up to seconds).

  tcp_judge.py WORKDIR CASE:PORT...
      prints one "PASS|FAIL <case> - <title>: <evidence>[; failed: <checks>]" line per
      CASE (and, for a failed one, both legs' segments); exit 1 if any failed.
Reads WORKDIR/lan.pcap and wan.pcap (the gateway's legs: flows 192.168.77.10:PORT and,
masquerade keeping the port, 203.0.113.1:PORT), WORKDIR/srv/conn-PORT.bin (what the server
got), and WORKDIR/cases/CASE/: chunk-N and sent.bin (what the client sent), answers.bin
(what it got back), expect.txt (`conntrack -L expect` polls), droponce.txt (case e's nft
counter), WORKDIR/status-off.txt (case f). Writes into WORKDIR/cases/CASE/: facts,
segments.txt, msgs.txt, answers.txt, retx.bin, for the record.
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcp_msgs import summary  # noqa: E402
from tcp_pcap import bounds_ok, flows, listing, retrans  # noqa: E402

LAN, PUB = "192.168.77.10", "203.0.113.1"
TITLES = {
    "a": "Slipstreaming v1 (SDP names the client)",
    "b": "Slipstreaming v2 (SDP names another inside host)",
    "c": "INVITE split in 3 (inside Via, inside c=) + OPTIONS",
    "d": "two INVITEs in one segment",
    "g": "two INVITEs, the 2nd finished by the next segment",
    "h": "CRLF keep-alives before an INVITE and an OPTIONS",
    "e": "retransmitted segment",
    "f": "control: enabled = no, case c's chunks",
}


def read(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


class Case:
    def __init__(self, work, case, port, lan_flows, wan_flows):
        self.work, self.case, self.port = work, case, port
        self.dir = os.path.join(work, "cases", case)
        names = sorted((n for n in os.listdir(self.dir) if n.startswith("chunk-")),
                       key=lambda n: int(n[6:]))
        self.chunks = [read(os.path.join(self.dir, n)) for n in names]
        self.sent = read(os.path.join(self.dir, "sent.bin"))
        self.lan = lan_flows.get((LAN, port), [])
        self.wan = wan_flows.get((PUB, port), [])
        self.got = read(os.path.join(work, "srv", "conn-%d.bin" % port))
        self.msgs = summary(self.got)
        self.answers = summary(read(os.path.join(self.dir, "answers.bin")))
        self.retrans, self.retx, self.retrans_text = retrans(self.wan)
        # the expectations whose master is this connection, minus the timeout, deduplicated
        master = "sport=%d dport=5060" % port
        lines = read(os.path.join(self.dir, "expect.txt")).decode(errors="replace").splitlines()
        self.expects = sorted({re.sub(r"^\d+ ", "", l) for l in lines if master in l})
        self.why = []

    def need(self, ok, what):
        if not ok:
            self.why.append(what)

    # facts
    def lan_bounds(self):
        return bounds_ok(self.lan, self.chunks)

    def wan_bounds(self):
        return bounds_ok(self.wan, self.chunks)

    def words(self):
        return [m.split(" ", 1)[0] for m in self.msgs]

    def kind(self, word):
        return [m for m in self.msgs if m.startswith(word + " ")]

    def ports_of(self, word="INVITE"):
        return [m.rsplit("m=", 1)[1] for m in self.kind(word) if not m.endswith("m=-")]

    def pinholes(self, ports):
        """An RTP and an RTCP expectation of our helper for each public media port."""
        def has(p):
            return any(re.search(r" dport=%d mask.*helper=sipalg" % p, e) for e in self.expects)
        return bool(ports) and all(has(int(p)) and has(int(p) + 1) for p in ports)

    def exp_text(self):
        return "%d expectations [%s]" % (len(self.expects), ",".join(
            re.sub(r".* dport=(\d+) mask.* helper=(\S+).*", r"dport=\1 helper=\2", e)
            for e in self.expects))

    def msgs_text(self):
        return " / ".join(self.msgs)

    def clean(self):	# no LAN address, every Content-Length right
        self.need(not any("private=1" in m for m in self.msgs), "LAN address reached the server")
        self.need(not any("cl_ok=0" in m for m in self.msgs), "a Content-Length is wrong")

    def record(self, facts):
        with open(os.path.join(self.dir, "facts"), "w") as f:
            f.write("".join("%s=%s\n" % kv for kv in facts.items()))
        with open(os.path.join(self.dir, "segments.txt"), "w") as f:
            f.write("\n".join(self.segments()) + "\n")
        with open(os.path.join(self.dir, "retx.bin"), "wb") as f:
            f.write(self.retx)
        for name, lines in (("msgs.txt", self.msgs), ("answers.txt", self.answers)):
            with open(os.path.join(self.dir, name), "w") as f:
                f.write("\n".join(lines) + "\n")

    def segments(self):
        return (["LAN leg:"] + listing("%s:%d" % (LAN, self.port), self.lan) +
                ["WAN leg:"] + listing("%s:%d" % (PUB, self.port), self.wan) +
                ["WAN retransmission: " + self.retrans_text])


def slipstream(k):
    k.need(any(p.startswith(b"INVITE sip:") for _, p in k.wan), "no WAN segment begins with INVITE")
    k.need(k.got == k.sent, "server bytes differ from what the client sent")
    k.need(not k.expects, "expectations created")
    return "%s for the connection (5 polls / 2 s) | server got %d of %d bytes, %s" % (
        k.exp_text(), len(k.got), len(k.sent), "identical" if k.got == k.sent else "CHANGED")


def split_invite(k):
    k.need(k.words() == ["INVITE", "OPTIONS", "rest=0"], "server did not get INVITE then OPTIONS, nothing else")
    k.clean()
    k.need(any(" c=%s " % PUB in m for m in k.kind("INVITE")), "INVITE c= not public")
    k.need(any(" via=%s:%d " % (PUB, k.port) in m for m in k.kind("OPTIONS")), "OPTIONS Via not rewritten")
    k.need(k.pinholes(k.ports_of()), "no RTP+RTCP pinholes for m=%s" % k.ports_of())
    k.need(len({off for off, _ in k.wan}) == 4, "WAN leg: not 4 data segments")
    oks = [a for a in k.answers if a.startswith("SIP/2.0 ")]
    back = [a for a in oks if " via=%s:%d " % (LAN, k.port) in a]
    k.need(len(back) == 2, "client did not get two 200 OKs with the inside Via back")
    return "server: %s | %s | client got %d answers, %d with the inside Via" % (
        k.msgs_text(), k.exp_text(), len(oks), len(back))


def two_invites(k):
    invites = k.kind("INVITE")
    k.need(k.words() == ["INVITE", "INVITE", "rest=0"] and
           all(" c=%s " % PUB in m for m in invites), "server did not get two INVITEs with a public c=, nothing else")
    k.need(len({m.split(" call=")[1].split()[0] for m in invites}) == 2, "Call-IDs not distinct")
    k.clean()
    k.need(len(k.ports_of()) == 2 and k.pinholes(k.ports_of()),
           "not both INVITEs got RTP+RTCP pinholes (m=%s)" % k.ports_of())
    return "server: %s | %s" % (k.msgs_text(), k.exp_text())


def keepalives(k):
    k.need(k.words() == ["keepalive", "INVITE", "keepalive", "OPTIONS", "rest=0"],
           "server did not get keepalive INVITE keepalive OPTIONS")
    k.clean()
    k.need(any(" c=%s " % PUB in m for m in k.kind("INVITE")), "INVITE c= not public")
    k.need(any(" via=%s:%d " % (PUB, k.port) in m for m in k.kind("OPTIONS")),
           "OPTIONS after a keep-alive not rewritten")
    k.need(k.pinholes(k.ports_of()), "no RTP+RTCP pinholes for m=%s" % k.ports_of())
    return "server: %s | %s" % (k.msgs_text(), k.exp_text())


def retransmitted(k):
    counter = re.search(rb"counter packets (\d+)", read(os.path.join(k.dir, "droponce.txt")))
    drops = int(counter.group(1)) if counter else None
    k.need(drops == 1, "the drop rule did not drop exactly one segment (%s)" % drops)
    k.need(k.retrans == "identical", "WAN leg: no identical second copy")
    k.need(bool(k.retx) and LAN.encode() not in k.retx and PUB.encode() in k.retx,
           "retransmitted copy not rewritten")
    k.need(k.words() == ["INVITE", "rest=0"], "server did not get one INVITE, nothing else")
    k.clean()
    k.need(any(" c=%s " % PUB in m for m in k.kind("INVITE")), "INVITE c= not public")
    return "dropped %s after the gateway; WAN: %s | server: %s" % (drops, k.retrans_text, k.msgs_text())


def control(k):
    off = read(os.path.join(k.work, "status-off.txt"))
    k.need(re.search(rb"(?m)^alg: DISABLED", off) is not None, "daemon did not say DISABLED")
    k.need(k.wan_bounds(), "WAN segments differ from the LAN's")
    k.need(k.got == k.sent, "server bytes differ from what the client sent")
    k.need(not k.expects, "expectations created")
    return "server got %d of %d bytes, %s, %s, %s" % (
        len(k.got), len(k.sent), "identical" if k.got == k.sent else "CHANGED",
        "same segments on both legs" if k.wan_bounds() else "segments CHANGED", k.exp_text())


CHECKS = {"a": slipstream, "b": slipstream, "c": split_invite, "d": two_invites,
          "g": two_invites, "h": keepalives, "e": retransmitted, "f": control}


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    work = sys.argv[1]
    lan, wan = flows(os.path.join(work, "lan.pcap")), flows(os.path.join(work, "wan.pcap"))
    failed = 0
    for spec in sys.argv[2:]:
        case, port = spec.split(":")
        k = Case(work, case, int(port), lan, wan)
        # the client's segments are the case's chunks, else the case tests nothing
        k.need(k.lan_bounds(), "LAN segments not where meant")
        evidence = CHECKS[case](k)
        k.record({"lan_bounds": int(k.lan_bounds()), "wan_bounds": int(k.wan_bounds()),
                  "retrans": k.retrans, "server_identical": int(k.got == k.sent)})
        if k.why:
            failed = 1
            print("FAIL %s - %s: %s; failed: %s" % (case, TITLES[case], evidence, "; ".join(k.why)))
            print("\n".join("     " + l for l in k.segments()))
        else:
            print("PASS %s - %s: %s" % (case, TITLES[case], evidence))
        sys.stdout.flush()
    return failed


if __name__ == "__main__":
    sys.exit(main())
