#!/usr/bin/env python3
"""SIP peers for netns_workers.sh: many WAN addresses, so that the kernel's
queue-balance hash spreads the flows over the queues (no SIP stack, bytes only).

  workers_peer.py server FIRST_IP COUNT OUTDIR TIMEOUT
      bind UDP 5060 on COUNT consecutive addresses from FIRST_IP, create OUTDIR/ready;
      save each datagram as OUTDIR/recv-<ip>-<n>.sip and answer it from the address it
      reached: a REGISTER with 200 OK (Contact ;expires=3600), an INVITE with 200 OK + SDP.
      Runs until TIMEOUT seconds have passed or OUTDIR/stop exists.
  workers_peer.py client LAN_IP LAN_PORT FIRST_IP IDX_FROM IDX_TO ROUNDS OUTDIR TIMEOUT KIND
      for each round and each address index in [IDX_FROM, IDX_TO): send a REGISTER
      (KIND register|both) and an INVITE with SDP (KIND invite|both) from LAN_IP:LAN_PORT
      to FIRST_IP+idx:5060, wait for each answer (at most 2 s), save it as
      OUTDIR/answer-<idx>-<round>-<method>.sip. Prints "answers N".
"""
import ipaddress
import os
import re
import select
import socket
import sys
import time


def sdp_body(ip, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\n" % (ip, ip, port)).encode()


def answer_for(req: bytes, local_ip: str) -> bytes:
    head = req.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    keep = [h for h in head[1:] if re.match(rb"(?i)(via|from|to|call-id|cseq|contact)\s*:", h)]
    out = [b"SIP/2.0 200 OK"]
    invite = head[0].startswith(b"INVITE")
    for h in keep:
        if h.lower().startswith(b"contact") and not invite:
            h += b";expires=3600"
        elif h.lower().startswith(b"contact"):
            h = b"Contact: <sip:bob@%s:5060>" % local_ip.encode()
        elif h.lower().startswith(b"to:"):
            h += b";tag=b1"
        out.append(h)
    if invite:
        body = sdp_body(local_ip, 40000)
        out.append(b"Content-Type: application/sdp")
        out.append(b"Content-Length: %d" % len(body))
        return b"\r\n".join(out) + b"\r\n\r\n" + body
    out.append(b"Content-Length: 0")
    return b"\r\n".join(out) + b"\r\n\r\n"


def addrs(first, count):
    base = ipaddress.IPv4Address(first)
    return [str(base + i) for i in range(int(count))]


def server(first, count, outdir, timeout):
    socks = {}
    for ip in addrs(first, count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((ip, 5060))
        socks[s] = ip
    open(os.path.join(outdir, "ready"), "w").close()
    deadline = time.time() + float(timeout)
    n = 0
    while time.time() < deadline and not os.path.exists(os.path.join(outdir, "stop")):
        r, _, _ = select.select(list(socks), [], [], 0.2)
        for s in r:
            data, src = s.recvfrom(65535)
            n += 1
            with open(os.path.join(outdir, "recv-%s-%d.sip" % (socks[s], n)), "wb") as f:
                f.write(data)
            if data.startswith(b"REGISTER") or data.startswith(b"INVITE"):
                s.sendto(answer_for(data, socks[s]), src)
    return 0


def request(method, lan_ip, lan_port, dest, idx, rnd):
    tag = "%d-%d" % (idx, rnd)
    hdr = ("%s sip:%s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-%s-%s;rport\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:alice@example.com>;tag=a%s\r\n"
           "To: <sip:%s@example.com>\r\n"
           "Call-ID: %s-%s@alice-pc\r\n"
           "CSeq: 1 %s\r\n"
           "Contact: <sip:alice@%s:%d>\r\n" %
           (method, dest, lan_ip, lan_port, method.lower(), tag, tag,
            "alice" if method == "REGISTER" else "bob", method.lower(), tag, method, lan_ip, lan_port))
    if method == "REGISTER":
        return (hdr + "Expires: 3600\r\nContent-Length: 0\r\n\r\n").encode()
    body = sdp_body(lan_ip, 10000 + 2 * idx)
    return (hdr + "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n" % len(body)).encode() + body


def client(lan_ip, lan_port, first, idx_from, idx_to, rounds, outdir, timeout, kind):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((lan_ip, int(lan_port)))
    deadline = time.time() + float(timeout)
    methods = {"register": ["REGISTER"], "invite": ["INVITE"], "both": ["REGISTER", "INVITE"]}[kind]
    base = ipaddress.IPv4Address(first)
    got = 0
    for rnd in range(int(rounds)):
        for idx in range(int(idx_from), int(idx_to)):
            dest = str(base + idx)
            for m in methods:
                if time.time() > deadline:
                    print("answers %d" % got)
                    return 1
                s.sendto(request(m, lan_ip, int(lan_port), dest, idx, rnd), (dest, 5060))
                s.settimeout(2.0)
                try:
                    data, _ = s.recvfrom(65535)
                except socket.timeout:
                    continue
                got += 1
                with open(os.path.join(outdir, "answer-%d-%d-%s.sip" % (idx, rnd, m)), "wb") as f:
                    f.write(data)
    print("answers %d" % got)
    return 0


if __name__ == "__main__":
    cmds = {"server": server, "client": client}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    sys.exit(cmds[sys.argv[1]](*sys.argv[2:]))
