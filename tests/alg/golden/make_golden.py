#!/usr/bin/env python3
"""Build the golden case folders from the hand-written specs in src/*.case.

A spec is the case.ini text, then "--- in" and (optionally) "--- out" with
the messages written with LF line ends. Lines become CRLF unless the spec
says `eol = lf`. "@CL@" becomes the byte length of that message's body (what
follows its first empty line), so the expected Content-Length is computed
here, independently of the engine. A final "<<noeol>>" line drops the last
line end. Without "--- out" the expected output is the input (untouched).

Usage: make_golden.py  (run from anywhere; rewrites golden/<name>/)
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def render(lines, eol):
    noeol = bool(lines) and lines[-1] == "<<noeol>>"
    if noeol:
        lines = lines[:-1]
    text = eol.join(lines) + ("" if noeol else eol)
    data = text.encode("utf-8")
    sep = (eol + eol).encode()
    cut = data.find(sep)
    body_len = len(data) - (cut + len(sep)) if cut >= 0 else 0
    # Only text after "--- trailer" is excluded from the body (UDP junk).
    return data, body_len


def build(path):
    name = os.path.splitext(os.path.basename(path))[0]
    spec = open(path, encoding="utf-8").read().split("\n")
    parts = {"ini": [], "in": [], "out": None, "trailer": []}
    cur = "ini"
    for line in spec:
        m = re.match(r"^--- (in|out|trailer)$", line)
        if m:
            cur = m.group(1)
            if cur == "out":
                parts["out"] = []
            continue
        parts[cur].append(line)
    # The file's final newline leaves one empty string on the last section;
    # any other empty line is part of the message (the end of its headers).
    last = "trailer" if parts["trailer"] else ("out" if parts["out"] is not None else "in")
    if parts[last] and parts[last][-1] == "":
        parts[last].pop()
    ini = "\n".join(parts["ini"]).strip() + "\n"
    for line in ini.split("\n"):
        assert len(line) < 200, f"{path}: ini lines must stay under inih's 200 bytes"
    eol = "\n" if re.search(r"^eol\s*=\s*lf", ini, re.M) else "\r\n"
    trailer = "".join(l + eol for l in parts["trailer"]).encode()

    def finish(lines):
        data, blen = render(lines, eol)
        data = data.replace(b"@CL@", str(blen).encode())
        # the substitution itself changed no body byte: headers only
        return data + trailer

    inp = finish(parts["in"])
    out = finish(parts["out"]) if parts["out"] is not None else inp
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    for fn, data in (("case.ini", ini.encode()), ("in.sip", inp), ("out.sip", out)):
        with open(os.path.join(d, fn), "wb") as f:
            f.write(data)
    return name


def main():
    src = os.path.join(HERE, "src")
    names = [build(os.path.join(src, f)) for f in sorted(os.listdir(src)) if f.endswith(".case")]
    print(f"{len(names)} golden cases written", file=sys.stderr)


if __name__ == "__main__":
    main()
