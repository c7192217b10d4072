#!/usr/bin/env python3
"""Peers for netns_status.sh (no SIP stack, just bytes). Every wait is bounded.

  status_peer.py responder BIND_IP PORT SECONDS
      answer every REGISTER (200 OK, Contact ;expires=3600) and OPTIONS (200 OK) for SECONDS.
  status_peer.py register BIND_IP DEST_IP DEST_PORT COUNT BASE_PORT
      COUNT REGISTERs, each from its own port BASE_PORT+i (its own SIP flow and
      Call-ID); print how many 200 OKs came back.
  status_peer.py probe BIND_IP PORT DEST_IP DEST_PORT COUNT INTERVAL_MS
      COUNT OPTIONS round trips through the gateway, one every INTERVAL_MS;
      print JSON {"sent", "answered", "p50_ms", "p99_ms", "max_ms"}.
  status_peer.py stall SOCKET HOLD_S
      connect to the status socket, ask for JSON, read nothing for HOLD_S s;
      then read what is left and print JSON {"connected", "bytes", "complete"}:
      complete is whether the whole report (a parsable JSON object) arrived.
"""
import json
import os
import re
import select
import socket
import sys
import time


def ok_for(req: bytes) -> bytes:
    head = req.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    keep = [h for h in head[1:] if re.match(rb"(?i)(via|from|to|call-id|cseq|contact)\s*:", h)]
    out = [b"SIP/2.0 200 OK"]
    for h in keep:
        if h.lower().startswith(b"contact") and req.startswith(b"REGISTER "):
            h = h + b";expires=3600"
        out.append(h)
    out.append(b"Content-Length: 0")
    return b"\r\n".join(out) + b"\r\n\r\n"


def responder(bind_ip, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind((bind_ip, int(port)))
    print("ready", flush=True)
    end = time.time() + float(seconds)
    n = 0
    while time.time() < end:
        s.settimeout(max(0.05, end - time.time()))
        try:
            data, peer = s.recvfrom(65535)
        except socket.timeout:
            break
        if data.startswith((b"REGISTER ", b"OPTIONS ")):
            s.sendto(ok_for(data), peer)
            n += 1
    print("answered %d" % n)
    return 0


def register_msg(ip, port, i):
    return ("REGISTER sip:203.0.113.2 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-r%d;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:u%d@example.com>;tag=t%d\r\n"
            "To: <sip:u%d@example.com>\r\n"
            "Call-ID: reg-%d@status-test\r\n"
            "CSeq: 1 REGISTER\r\n"
            "Contact: <sip:u%d@%s:%d>\r\n"
            "Expires: 3600\r\n"
            "Content-Length: 0\r\n\r\n" % (ip, port, i, i, i, i, i, i, ip, port)).encode()


def register(bind_ip, dest_ip, dest_port, count, base):
    count, base = int(count), int(base)
    socks = []
    got = 0
    deadline = time.time() + 60
    # batches of 200 sockets: the fd limit, and the gateway's queue gets bursts it can take
    for start in range(0, count, 200):
        socks = []
        for i in range(start, min(count, start + 200)):
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind((bind_ip, base + i))
            s.sendto(register_msg(bind_ip, base + i, i), (dest_ip, int(dest_port)))
            socks.append(s)
        pending = set(socks)
        while pending and time.time() < deadline:
            r, _, _ = select.select(list(pending), [], [], 2.0)
            if not r:
                break
            for s in r:
                if s.recv(65535).startswith(b"SIP/2.0 200"):
                    got += 1
                pending.discard(s)
        for s in socks:
            s.close()
    print("registered %d of %d" % (got, count))
    return 0 if got == count else 1


def options_msg(ip, port, i):
    return ("OPTIONS sip:203.0.113.2 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-p%d;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:probe@example.com>;tag=p\r\n"
            "To: <sip:203.0.113.2>\r\n"
            "Call-ID: probe-%d@status-test\r\n"
            "CSeq: %d OPTIONS\r\n"
            "Contact: <sip:probe@%s:%d>\r\n"
            "Content-Length: 0\r\n\r\n" % (ip, port, i, i, i + 1, ip, port)).encode()


def probe(bind_ip, port, dest_ip, dest_port, count, interval_ms):
    count, gap = int(count), float(interval_ms) / 1000
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((bind_ip, int(port)))
    rtts = []
    for i in range(count):
        t0 = time.monotonic()
        s.sendto(options_msg(bind_ip, int(port), i), (dest_ip, int(dest_port)))
        want = ("probe-%d@status-test" % i).encode()
        while True:	# answers to earlier, late probes are skipped
            left = 2.0 - (time.monotonic() - t0)
            r, _, _ = select.select([s], [], [], max(0, left))
            if not r:
                break
            if want in s.recv(65535):
                rtts.append((time.monotonic() - t0) * 1000)
                break
        rest = gap - (time.monotonic() - t0)
        if rest > 0:
            time.sleep(rest)
    rtts.sort()
    pick = lambda q: round(rtts[min(len(rtts) - 1, int(q * len(rtts)))], 3) if rtts else None
    print(json.dumps({"sent": count, "answered": len(rtts), "p50_ms": pick(0.5),
                      "p99_ms": pick(0.99), "max_ms": round(rtts[-1], 3) if rtts else None}))
    return 0


def stall(path, hold):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)	# as little as the kernel allows
    s.connect(path)
    s.sendall(b"json\n")
    print("stalling", flush=True)
    time.sleep(float(hold))
    data = b""
    s.settimeout(2.0)
    try:
        while True:
            b = s.recv(1 << 20)
            if not b:
                break
            data += b
    except (socket.timeout, ConnectionResetError):
        pass
    complete = True
    try:
        json.loads(data)
    except ValueError:
        complete = False
    print(json.dumps({"connected": True, "bytes": len(data), "complete": complete}))
    return 0


if __name__ == "__main__":
    cmds = {"responder": responder, "register": register, "probe": probe, "stall": stall}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__)
        sys.exit(2)
    sys.exit(cmds[sys.argv[1]](*sys.argv[2:]))
