#!/usr/bin/env python3
"""TCP peers for tests/nat/tcp_stream.sh (stdlib only, every wait bounded).

  tcp_peer.py client BIND_IP PORT DEST_IP DEST_PORT OUTFILE TIMEOUT PAUSE CHUNK...
      connect from BIND_IP:PORT with TCP_NODELAY, send each CHUNK file with its own
      send() (one TCP segment each, as the test means; the pcaps confirm it) and sleep
      PAUSE seconds after each; then half-close and save every byte received until
      the server closes (or TIMEOUT) to OUTFILE.
  tcp_peer.py plan BIND_IP DEST_IP DEST_PORT CASEDIR TIMEOUT PAUSE CASE:PORT...
      one process for many connections (a python start costs seconds under TCG): for
      each CASE in turn wait for CASEDIR/CASE/go, run the client above from PORT with
      CASEDIR/CASE/chunk-N (in N order), OUTFILE CASEDIR/CASE/answers.bin, then create
      CASEDIR/CASE/done (holding the client's status). TIMEOUT bounds each wait and
      each connection.
  tcp_peer.py server BIND_IP PORT OUTDIR TIMEOUT
      accept connections until TIMEOUT or OUTDIR/stop exists; save each connection's
      bytes as OUTDIR/conn-<peer port>.bin (exactly as received, appended per recv),
      answer every whole SIP request in it with a 200 OK (Via, From, To, Call-ID,
      CSeq copied), close when the client half-closes. OUTDIR/ready once listening;
      OUTDIR/peers.log: one line per connection.
Exit: 0, or 1 when the client could not connect or send.
"""
import os
import re
import socket
import sys
import threading
import time


def split_messages(buf):
    """Whole messages at the start of buf (framed by Content-Length), and the rest."""
    out = []
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return out, buf
        m = re.search(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", buf[:end])
        total = end + 4 + (int(m.group(1)) if m else 0)
        if len(buf) < total:
            return out, buf
        out.append(buf[:total])
        buf = buf[total:]


def ok_for(request):
    head = request.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    keep = [h for h in head[1:] if re.match(rb"(?i)(via|v|from|f|to|t|call-id|i|cseq)[ \t]*:", h)]
    return b"\r\n".join([b"SIP/2.0 200 OK"] + keep + [b"Content-Length: 0"]) + b"\r\n\r\n"


def serve_one(conn, peer, outdir, deadline):
    path = os.path.join(outdir, "conn-%d.bin" % peer[1])
    buf = b""
    with open(path, "wb") as f:
        while time.time() < deadline:
            conn.settimeout(max(0.1, min(1.0, deadline - time.time())))
            try:
                data = conn.recv(65535)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            f.write(data)
            f.flush()
            msgs, buf = split_messages(buf + data)
            for msg in msgs:	# a POST (HTTP/1.1) is framed alike but never answered
                if msg.split(b"\r\n", 1)[0].endswith(b" SIP/2.0"):
                    try:
                        conn.sendall(ok_for(msg))
                    except OSError:
                        pass
    conn.close()


def server(bind_ip, port, outdir, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((bind_ip, int(port)))
    s.listen(8)
    open(os.path.join(outdir, "ready"), "w").close()
    deadline = time.time() + float(timeout)
    threads = []
    with open(os.path.join(outdir, "peers.log"), "a") as log:
        while time.time() < deadline and not os.path.exists(os.path.join(outdir, "stop")):
            s.settimeout(0.2)
            try:
                conn, peer = s.accept()
            except socket.timeout:
                continue
            log.write("%s:%d\n" % peer)
            log.flush()
            t = threading.Thread(target=serve_one, args=(conn, peer, outdir, deadline), daemon=True)
            t.start()
            threads.append(t)
    for t in threads:
        t.join(max(0.1, deadline - time.time()))
    return 0


def client(bind_ip, port, dest_ip, dest_port, outfile, timeout, pause, chunks):
    deadline = time.time() + float(timeout)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((bind_ip, int(port)))
    s.settimeout(float(timeout))
    try:
        s.connect((dest_ip, int(dest_port)))
        for c in chunks:
            with open(c, "rb") as fh:
                s.sendall(fh.read())
            time.sleep(float(pause))
        s.shutdown(socket.SHUT_WR)
    except OSError as e:
        print("tcp-client: %s" % e)
        return 1
    got = b""
    while time.time() < deadline:
        s.settimeout(max(0.1, deadline - time.time()))
        try:
            data = s.recv(65535)
        except (socket.timeout, OSError):
            break
        if not data:
            break
        got += data
    s.close()
    with open(outfile, "wb") as f:
        f.write(got)
    return 0


def plan(bind_ip, dest_ip, dest_port, casedir, timeout, pause, specs):
    for spec in specs:
        case, port = spec.split(":")
        d = os.path.join(casedir, case)
        deadline = time.time() + float(timeout)
        while not os.path.exists(os.path.join(d, "go")) and time.time() < deadline:
            time.sleep(0.05)
        if not os.path.exists(os.path.join(d, "go")):
            print("tcp-plan: no go for case %s" % case)
            return 1
        names = sorted((n for n in os.listdir(d) if n.startswith("chunk-")), key=lambda n: int(n[6:]))
        rc = client(bind_ip, port, dest_ip, dest_port, os.path.join(d, "answers.bin"), timeout,
                    pause, [os.path.join(d, n) for n in names])
        with open(os.path.join(d, "done"), "w") as f:
            f.write("%d\n" % rc)
    return 0


if __name__ == "__main__":
    a = sys.argv
    if len(a) >= 10 and a[1] == "client":
        sys.exit(client(*a[2:9], a[9:]))
    if len(a) >= 9 and a[1] == "plan":
        sys.exit(plan(*a[2:8], a[8:]))
    if len(a) == 6 and a[1] == "server":
        sys.exit(server(*a[2:6]))
    sys.stderr.write(__doc__)
    sys.exit(2)
