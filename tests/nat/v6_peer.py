#!/usr/bin/env python3
"""IPv6 UDP peers for netns_v6.sh (no SIP stack, just bytes; every wait bounded).

  v6_peer.py uas BIND PORT OUTDIR TIMEOUT MEDIA_PORT MAX
      bind [BIND]:PORT, create OUTDIR/ready; answer a REGISTER with 200 OK and an
      INVITE with 200 OK whose SDP names [BIND]:MEDIA_PORT; save every datagram as
      OUTDIR/recv-N.sip; stop after MAX datagrams, a BYE or TIMEOUT s.
  v6_peer.py send BIND PORT DEST DEST_PORT OUTDIR TIMEOUT FILE...
      send each FILE from [BIND]:PORT, wait for one answer each (OUTDIR/answer-N.sip).
  v6_peer.py call BIND PORT DEST DEST_PORT OUTDIR TIMEOUT FILE
      from [BIND]:PORT send FILE (an INVITE to the phone) and save the answer.
  v6_peer.py phone BIND PORT OUTDIR TIMEOUT MEDIA_PORT
      [BIND]:PORT answers one INVITE with 200 OK naming [BIND]:MEDIA_PORT (OUTDIR/invite.sip,
      OUTDIR/ready), then stops.
  v6_peer.py rtp-send BIND SPORT DEST DPORT COUNT
      COUNT datagrams, 20 ms apart.
  v6_peer.py rtp-recv BIND PORT SECONDS OUTFILE
      count what arrives for SECONDS, write the number to OUTFILE (OUTFILE.ready first).
"""
import os
import re
import socket
import sys
import time


def sock(bind, port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind, int(port)))
    return s


def sdp(addr, port):
    return ("v=0\r\no=- 1 1 IN IP6 %s\r\ns=-\r\nc=IN IP6 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n" % (addr, addr, port)).encode()


def answer(req, body=b"", to_tag=b";tag=uas1"):
    head = req.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    out = [b"SIP/2.0 200 OK"]
    for h in head[1:]:
        if re.match(rb"(?i)(via|from|call-id|cseq)\s*:", h):
            out.append(h)
        elif re.match(rb"(?i)to\s*:", h):
            out.append(h if b"tag=" in h else h + to_tag)
        elif re.match(rb"(?i)contact\s*:", h) and req.startswith(b"REGISTER"):
            out.append(h + b";expires=3600")
    if body:
        out.append(b"Content-Type: application/sdp")
    out.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(out) + b"\r\n\r\n" + body


def uas(bind, port, outdir, timeout, media_port, most):
    s = sock(bind, port)
    open(os.path.join(outdir, "ready"), "w").close()
    deadline = time.time() + float(timeout)
    n = 0
    while time.time() < deadline and n < min(int(most), 50):
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            data, src = s.recvfrom(65535)
        except socket.timeout:
            break
        n += 1
        with open(os.path.join(outdir, "recv-%d.sip" % n), "wb") as f:
            f.write(data)
        if data.startswith(b"REGISTER"):
            s.sendto(answer(data, to_tag=b""), src)
        elif data.startswith(b"INVITE"):
            s.sendto(answer(data, sdp(bind, int(media_port))), src)
        elif data.startswith(b"BYE"):
            s.sendto(answer(data), src)
            break


def send(bind, port, dest, dport, outdir, timeout, files):
    s = sock(bind, port)
    for i, name in enumerate(files, 1):
        s.sendto(open(name, "rb").read(), (dest, int(dport)))
        s.settimeout(float(timeout))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            continue
        with open(os.path.join(outdir, "answer-%d.sip" % i), "wb") as f:
            f.write(data)


def phone(bind, port, outdir, timeout, media_port):
    s = sock(bind, port)
    open(os.path.join(outdir, "ready"), "w").close()
    deadline = time.time() + float(timeout)
    while time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            data, src = s.recvfrom(65535)
        except socket.timeout:
            return
        if data.startswith(b"INVITE"):
            with open(os.path.join(outdir, "invite.sip"), "wb") as f:
                f.write(data)
            s.sendto(answer(data, sdp(bind, int(media_port)), b";tag=phone1"), src)
            return


def rtp_send(bind, sport, dest, dport, count):
    s = sock(bind, sport)
    for i in range(int(count)):
        s.sendto(b"\x80\x00" + i.to_bytes(2, "big") + b"\x00" * 168, (dest, int(dport)))
        time.sleep(0.02)


def rtp_recv(bind, port, seconds, outfile):
    s = sock(bind, port)
    open(outfile + ".ready", "w").close()
    deadline = time.time() + float(seconds)
    n = 0
    while time.time() < deadline and n < 100000:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            s.recvfrom(65535)
            n += 1
        except socket.timeout:
            break
    with open(outfile, "w") as f:
        f.write("%d\n" % n)


def main(argv):
    cmd, a = argv[1], argv[2:]
    if cmd == "uas":
        uas(*a)
    elif cmd == "send" or cmd == "call":
        send(a[0], a[1], a[2], a[3], a[4], a[5], a[6:])
    elif cmd == "phone":
        phone(*a)
    elif cmd == "rtp-send":
        rtp_send(*a)
    elif cmd == "rtp-recv":
        rtp_recv(*a)
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main(sys.argv)
