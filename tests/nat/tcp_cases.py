#!/usr/bin/env python3
"""The byte chunks of tests/nat/tcp_stream.sh's cases, one file per TCP segment.

  tcp_cases.py OUTDIR CASE:PORT...
      for each CASE (a-h, see tcp_stream.sh) sent from LAN port PORT, write
      OUTDIR/CASE/chunk-N (the client sends each with its own send()) and
      OUTDIR/CASE/sent.bin (all of them: what the client's stream holds).
The LAN host is 192.168.77.10, the WAN server 203.0.113.2:5060 (netns_topo.sh);
192.168.77.20 is another inside address (Slipstreaming v2's victim).
"""
import os
import sys

LAN, OTHER, WAN = "192.168.77.10", "192.168.77.20", "203.0.113.2"


def crlf(text):
    return "".join(line + "\r\n" for line in text.strip("\n").split("\n")).encode()


def invite(port, call_id, media_port, media_host=LAN):
    """An INVITE with SDP over TCP from LAN:port; the SDP names media_host:media_port."""
    body = crlf("""v=0
o=alice 1 1 IN IP4 %s
s=-
c=IN IP4 %s
t=0 0
m=audio %d RTP/AVP 0
a=rtpmap:0 PCMU/8000""" % (media_host, media_host, media_port))
    head = crlf("""INVITE sip:bob@%s SIP/2.0
Via: SIP/2.0/TCP %s:%d;branch=z9hG4bK-%s
Max-Forwards: 70
From: <sip:alice@example.com>;tag=%s
To: <sip:bob@%s>
Call-ID: %s@alice-pc
CSeq: 1 INVITE
Contact: <sip:alice@%s:%d;transport=tcp>
Content-Type: application/sdp
Content-Length: %d""" % (WAN, LAN, port, call_id, call_id, WAN, call_id, LAN, port, len(body)))
    return head + b"\r\n" + body


def options(port):
    return crlf("""OPTIONS sip:%s SIP/2.0
Via: SIP/2.0/TCP %s:%d;branch=z9hG4bK-opt%d
Max-Forwards: 70
From: <sip:alice@example.com>;tag=o%d
To: <sip:%s>
Call-ID: opt-%d@alice-pc
CSeq: 2 OPTIONS
Contact: <sip:alice@%s:%d;transport=tcp>
Content-Length: 0""" % (WAN, LAN, port, port, port, WAN, port, LAN, port)) + b"\r\n"


def cut_after(data, marker):
    """Split data just after the first occurrence of marker (which must be there)."""
    i = data.index(marker) + len(marker)
    return data[:i], data[i:]


def slipstream(port, media_host):
    """An HTTP POST whose declared body (2000 bytes) hides an INVITE that starts the
    second segment: the page's padding puts it there (NAT Slipstreaming)."""
    smuggled = invite(port, "slip%d" % port, 3306, media_host)
    head = ("POST / HTTP/1.1\r\nHost: %s:5060\r\nContent-Type: text/plain\r\n"
            "Content-Length: 2000\r\n\r\n" % WAN).encode()
    pad1 = b"A" * (600 - len(head))	# the first segment: 600 bytes
    pad2 = b"B" * (2000 - len(pad1) - len(smuggled))
    return [head + pad1, smuggled, pad2]


def chunks(case, port):
    if case == "a":	# v1: the smuggled SDP names the browser's own host
        return slipstream(port, LAN)
    if case == "b":	# v2: it names another inside host
        return slipstream(port, OTHER)
    if case in ("c", "f"):	# split inside a Via value and inside c=; then an OPTIONS
        msg = invite(port, "split%d" % port, 4000)
        one, rest = cut_after(msg, ("Via: SIP/2.0/TCP %s" % LAN[:8]).encode())
        two, three = cut_after(rest, ("c=IN IP4 %s" % LAN[:6]).encode())
        return [one, two, three, options(port)]
    if case == "d":	# two INVITEs, different Call-IDs, one segment
        return [invite(port, "twin-a%d" % port, 4010) + invite(port, "twin-b%d" % port, 4020)]
    if case == "g":	# two INVITEs, the second continuing into the next segment (cut in its Via)
        a, b = invite(port, "pair-a%d" % port, 4040), invite(port, "pair-b%d" % port, 4050)
        head, tail = cut_after(b, ("Via: SIP/2.0/TCP %s" % LAN[:8]).encode())
        return [a + head, tail]
    if case == "h":	# RFC 5626 CRLF keep-alives: alone before an INVITE, and before an OPTIONS
        return [b"\r\n\r\n", invite(port, "ka%d" % port, 4060), b"\r\n\r\n" + options(port)]
    if case == "e":	# split inside o=; the first segment (whole Via, Contact) is dropped once
        msg = invite(port, "retx%d" % port, 4030)
        return list(cut_after(msg, ("o=alice 1 1 IN IP4 %s" % LAN[:4]).encode()))
    raise SystemExit("unknown case %r" % case)


def main():
    if len(sys.argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out = sys.argv[1]
    for spec in sys.argv[2:]:
        case, port = spec.split(":")
        d = os.path.join(out, case)
        os.makedirs(d, exist_ok=True)
        parts = chunks(case, int(port))
        for i, c in enumerate(parts):
            assert 0 < len(c) < 1400, "case %s chunk %d: %d bytes, not one segment" % (case, i, len(c))
            with open(os.path.join(d, "chunk-%d" % i), "wb") as f:
                f.write(c)
        with open(os.path.join(d, "sent.bin"), "wb") as f:
            f.write(b"".join(parts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
