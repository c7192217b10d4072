#!/usr/bin/env python3
"""Keep the one ctrl_tcp connection baresip allows, log everything it says.

baresip's ctrl_tcp serves a single client at a time and pushes events to it,
so the lab keeps one agent per phone: commands come in through a FIFO (one
line "command params..."), every message from baresip (responses and events)
is appended to a JSON-lines log with a timestamp, for the shell to poll.
"""
import argparse
import json
import os
import select
import socket
import sys
import time


def netstring(payload: bytes) -> bytes:
    return str(len(payload)).encode() + b":" + payload + b","


def connect(port: int, deadline: float) -> socket.socket:
    while True:
        try:
            return socket.create_connection(("127.0.0.1", port), timeout=1)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=4444)
    ap.add_argument("--fifo", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--lifetime", type=float, default=600, help="hard bound, seconds")
    a = ap.parse_args()

    end = time.monotonic() + a.lifetime
    fifo = os.open(a.fifo, os.O_RDWR | os.O_NONBLOCK)  # RDWR: never sees EOF
    sock = connect(a.port, time.monotonic() + 15)
    log = open(a.log, "a", buffering=1)
    log.write(json.dumps({"t": time.time(), "agent": "connected"}) + "\n")
    rxbuf, cmdbuf, token = b"", b"", 0
    while time.monotonic() < end:
        r, _, _ = select.select([sock, fifo], [], [], 0.5)
        if sock in r:
            data = sock.recv(65536)
            if not data:
                break  # baresip quit
            rxbuf += data
            while True:  # unframe netstrings
                colon = rxbuf.find(b":")
                if colon < 0 or not rxbuf[:colon].isdigit():
                    break
                n = int(rxbuf[:colon])
                if len(rxbuf) < colon + 1 + n + 1:
                    break
                body = rxbuf[colon + 1:colon + 1 + n]
                rxbuf = rxbuf[colon + 2 + n:]
                try:
                    msg = json.loads(body)
                except ValueError:
                    msg = {"raw": body.decode(errors="replace")}
                msg["t"] = time.time()
                log.write(json.dumps(msg) + "\n")
        if fifo in r:
            cmdbuf += os.read(fifo, 4096)
            while b"\n" in cmdbuf:
                line, cmdbuf = cmdbuf.split(b"\n", 1)
                parts = line.decode().strip().split(" ", 1)
                if not parts[0]:
                    continue
                token += 1
                cmd = {"command": parts[0], "params": parts[1] if len(parts) > 1 else "",
                       "token": str(token)}
                log.write(json.dumps({"t": time.time(), "sent": cmd}) + "\n")
                sock.sendall(netstring(json.dumps(cmd).encode()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
