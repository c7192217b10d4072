#!/usr/bin/env python3
"""Did the REFER's Replaces cross the gateway intact?  (attended transfer)

Usage: replaces.py LAN.pcap WAN.pcap
Finds the REFER the LAN phone sent (LAN leg, outbound) and the one that left
on the WAN leg, and on the WAN leg the consultation dialog: the INVITE whose
Call-ID the Replaces names, and the 2xx that answered it. Pass when the
REFER's Refer-To left byte-identical to what the phone sent, and its
Replaces, escaped as a URI header value must be (RFC 3891:
"Replaces=<call-id>%3Bto-tag%3D..%3Bfrom-tag%3D..") and then unescaped,
names exactly the consultation dialog as the far side saw it on the WAN leg:
its Call-ID, the target's tag (To of the 2xx) and the LAN phone's tag (From
of the INVITE). Prints JSON; exit 0 if intact.
"""
import json
import os
import re
import sys
from urllib.parse import unquote

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapsum  # noqa: E402

HDR = {"i": "call-id", "f": "from", "t": "to", "r": "refer-to"}


def sip(path, side, direction):
    """(start line, {header: [values]}) of the SIP/UDP messages one way on a leg."""
    for frame in pcapsum.packets(path):
        p = pcapsum.parse(frame)
        if not p or p[0] != "udp" or 5060 not in (p[2], p[4]) or not p[5]:
            continue
        if ("out" if pcapsum.outward(side, p[1]) else "in") != direction:
            continue
        head = p[5].split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")
        hdrs = {}
        for line in head[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                k = k.strip().lower()
                hdrs.setdefault(HDR.get(k, k), []).append(v.strip())
        yield head[0], hdrs


def tag(value):
    m = re.search(r";\s*tag=([^;>\s]+)", value or "")
    return m.group(1) if m else None


def refer_to(path, side):
    for start, h in sip(path, side, "out"):
        if start.startswith("REFER ") and h.get("refer-to"):
            return h["refer-to"][0]
    return None


def main():
    lan, wan = sys.argv[1], sys.argv[2]
    res = {"ok": False}
    sent, left = refer_to(lan, "lan"), refer_to(wan, "wan")
    res["refer_to_lan"], res["refer_to_wan"] = sent, left
    if not left:
        res["summary"] = "no REFER left on the WAN leg"
        print(json.dumps(res))
        return 1
    m = re.search(r"[?&]Replaces=([^&>]*)", left, re.I)
    if not m:
        res["summary"] = "the Refer-To on the WAN leg has no Replaces"
        print(json.dumps(res))
        return 1
    # RFC 3261 hvalue: ";" "=" "@" must travel escaped inside the URI
    escaped = not re.search(r"[;=@]", m.group(1))
    parts = unquote(m.group(1)).split(";")
    cid = parts[0]
    params = dict(p.split("=", 1) for p in parts[1:] if "=" in p)
    res["replaces"] = {"call_id": cid, "to_tag": params.get("to-tag"), "from_tag": params.get("from-tag")}
    inv = ok200 = None
    for start, h in sip(wan, "wan", "out"):
        if start.startswith("INVITE ") and cid in h.get("call-id", []):
            inv = h
            break
    for start, h in sip(wan, "wan", "in"):
        if (start.startswith("SIP/2.0 2") and cid in h.get("call-id", [])
                and any(c.endswith(" INVITE") for c in h.get("cseq", []))):
            ok200 = h
            break
    dialog = {"call_id_seen": inv is not None,
              "from_tag": tag(inv["from"][0]) if inv else None,
              "to_tag": tag(ok200["to"][0]) if ok200 else None}
    res["wan_dialog"] = dialog
    same_bytes = sent == left
    match = (inv is not None and ok200 is not None and dialog["from_tag"] == params.get("from-tag")
             and dialog["to_tag"] == params.get("to-tag"))
    res["escaped"] = escaped
    res["ok"] = bool(same_bytes and match and escaped)
    res["summary"] = (f"Refer-To {'unchanged' if same_bytes else 'CHANGED'} across the gateway; "
                      + ("" if escaped else "Replaces NOT escaped (raw ';' '=' or '@' in the URI); ")
                      + f"Replaces names Call-ID {cid!r} to-tag {params.get('to-tag')!r} from-tag "
                      f"{params.get('from-tag')!r}: "
                      + ("the consultation dialog on the WAN leg" if match else
                         f"NOT the WAN leg's consultation dialog ({dialog})"))
    print(json.dumps(res))
    return 0 if res["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
