#!/usr/bin/env python3
"""A tiny SIP-over-UDP peer for the nat tests (no SIP stack, just bytes).

  sip_peer.py server BIND_IP PORT OUTDIR COUNT TIMEOUT
      bind, create OUTDIR/ready, receive COUNT datagrams, save each as OUTDIR/recv-N.sip; answer a REGISTER
      with a 200 OK (Contact and expires=3600, Via copied) sent back to the source.
  sip_peer.py client BIND_IP PORT DEST_IP DEST_PORT OUTDIR TIMEOUT FILE...
      send each FILE from BIND_IP:PORT, save any answers as OUTDIR/answer-N.sip.
  sip_peer.py tcp-server BIND_IP PORT OUTDIR COUNT TIMEOUT
      accept one TCP connection, split the stream into messages by Content-Length,
      save COUNT of them as OUTDIR/recv-N.sip, answer a REGISTER with a 200 OK.
  sip_peer.py tcp-client BIND_IP PORT DEST_IP DEST_PORT OUTDIR TIMEOUT FILE...
      connect, send each FILE as its own segment, save the answers (OUTDIR/answer-N.sip).
Every wait is bounded by TIMEOUT seconds.
"""
import os
import re
import socket
import sys
import time


def ok_for(register: bytes) -> bytes:
    head = register.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    keep = [h for h in head[1:] if re.match(rb"(?i)(via|from|to|call-id|cseq|contact)\s*:", h)]
    out = [b"SIP/2.0 200 OK"]
    for h in keep:
        if h.lower().startswith(b"contact"):
            h = h + b";expires=3600"
        out.append(h)
    out.append(b"Content-Length: 0")
    return b"\r\n".join(out) + b"\r\n\r\n"


def server(bind_ip, port, outdir, count, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind_ip, int(port)))
    open(os.path.join(outdir, "ready"), "w").close()  # the sender waits for this
    deadline = time.time() + float(timeout)
    n = 0
    while n < int(count) and time.time() < deadline:
        s.settimeout(max(0.1, deadline - time.time()))
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            break
        with open(os.path.join(outdir, "recv-%d.sip" % n), "wb") as f:
            f.write(data)
        n += 1
        if data.startswith(b"REGISTER "):
            s.sendto(ok_for(data), peer)
    print("server: received %d" % n)
    return 0 if n == int(count) else 1


def client(bind_ip, port, dest_ip, dest_port, outdir, timeout, files):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind_ip, int(port)))
    for f in files:
        with open(f, "rb") as fh:
            s.sendto(fh.read(), (dest_ip, int(dest_port)))
        time.sleep(0.2)
    deadline = time.time() + float(timeout)
    n = 0
    while time.time() < deadline:
        s.settimeout(max(0.1, deadline - time.time()))
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            break
        with open(os.path.join(outdir, "answer-%d.sip" % n), "wb") as fh:
            fh.write(data)
        n += 1
    print("client: answers %d" % n)
    return 0


def split_messages(buf: bytes):
    """Whole messages at the start of buf (by Content-Length), and the rest."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", buf[:end])
        total = end + 4 + (int(m.group(1)) if m else 0)
        if len(buf) < total:
            return out, buf
        out.append(buf[:total])
        buf = buf[total:]


def tcp_read(conn, outdir, prefix, count, deadline, on_message=None):
    buf, n = b"", 0
    while n < count and time.time() < deadline:
        conn.settimeout(max(0.1, deadline - time.time()))
        try:
            data = conn.recv(65535)
        except socket.timeout:
            break
        if not data:
            break
        msgs, buf = split_messages(buf + data)
        for msg in msgs:
            with open(os.path.join(outdir, "%s-%d.sip" % (prefix, n)), "wb") as f:
                f.write(msg)
            n += 1
            if on_message:
                on_message(msg)
    return n


def tcp_server(bind_ip, port, outdir, count, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind_ip, int(port)))
    s.listen(1)
    open(os.path.join(outdir, "ready"), "w").close()
    deadline = time.time() + float(timeout)
    s.settimeout(float(timeout))
    try:
        conn, _ = s.accept()
    except socket.timeout:
        print("tcp-server: no connection")
        return 1

    def answer(msg):
        if msg.startswith(b"REGISTER "):
            conn.sendall(ok_for(msg))
    n = tcp_read(conn, outdir, "recv", int(count), deadline, answer)
    time.sleep(0.5)
    conn.close()
    print("tcp-server: received %d" % n)
    return 0 if n == int(count) else 1


def tcp_client(bind_ip, port, dest_ip, dest_port, outdir, timeout, files):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((bind_ip, int(port)))
    s.settimeout(float(timeout))
    s.connect((dest_ip, int(dest_port)))
    for f in files:
        with open(f, "rb") as fh:
            s.sendall(fh.read())
        time.sleep(0.3)  # one message per segment
    n = tcp_read(s, outdir, "answer", len(files), time.time() + float(timeout))
    s.close()
    print("tcp-client: answers %d" % n)
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 7 and sys.argv[1] == "tcp-server":
        sys.exit(tcp_server(*sys.argv[2:7]))
    if len(sys.argv) >= 9 and sys.argv[1] == "tcp-client":
        sys.exit(tcp_client(*sys.argv[2:8], sys.argv[8:]))
    if len(sys.argv) >= 7 and sys.argv[1] == "server":
        sys.exit(server(*sys.argv[2:7]))
    if len(sys.argv) >= 9 and sys.argv[1] == "client":
        sys.exit(client(*sys.argv[2:8], sys.argv[8:]))
    sys.stderr.write(__doc__)
    sys.exit(2)
