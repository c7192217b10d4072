#!/usr/bin/env python3
"""What a SIP-over-TCP stream, as the server received it, holds: one line per message.

  tcp_msgs.py STREAM_FILE
      frames the stream by Content-Length and prints, per message ("keepalive" for a
      CRLF keep-alive):
        <first word> cl_ok=0|1 private=0|1 call=<Call-ID> via=<first Via sent-by>
        c=<session c= address> m=<first m=audio port>
      then "rest=<bytes after the last whole message>". private=1 when any
      192.168.77.x (the LAN) appears anywhere in the message; cl_ok=1 when
      Content-Length equals the body that followed (the framing itself uses it, so
      a wrong value also shows up as the next message's garbage first word or as rest).
"""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tcp_peer import split_messages  # noqa: E402


def field(rx, data):
    m = re.search(rx, data)
    return m.group(1).decode(errors="replace") if m else "-"


def summary(data):
    """The lines described above, for a stream's bytes."""
    msgs, rest = split_messages(data)
    out = []
    for msg in msgs:
        if not msg.strip(b"\r\n"):	# an RFC 5626 CRLF keep-alive
            out.append("keepalive")
            continue
        head, _, body = msg.partition(b"\r\n\r\n")
        cl = field(rb"(?im)^(?:content-length|l)[ \t]*:[ \t]*(\d+)", head)
        out.append("%s cl_ok=%d private=%d call=%s via=%s c=%s m=%s" % (
            msg.split(b" ", 1)[0].decode(errors="replace"),
            cl != "-" and int(cl) == len(body),
            b"192.168.77." in msg,
            field(rb"(?im)^(?:call-id|i)[ \t]*:[ \t]*(\S+)", head),
            field(rb"(?im)^(?:via|v)[ \t]*:[ \t]*SIP/2\.0/\w+[ \t]+([^;\s]+)", head),
            field(rb"(?m)^c=IN IP4 (\S+)", body),
            field(rb"(?m)^m=audio (\d+)", body)))
    out.append("rest=%d" % len(rest))
    return out


def main():
    with open(sys.argv[1], "rb") as f:
        print("\n".join(summary(f.read())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
