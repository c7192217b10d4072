#!/usr/bin/env python3
"""The parser's keys, sipalgd.conf(5) and the shipped config name the same keys.

    check_keys.py LIST_KEYS_BINARY MAN5_PAGE SHIPPED_CONF

Fails when a key the parser knows is missing from the man page or the shipped config, or
one of those documents a key the parser does not know. Also: each key's default in the
man page (".B key = default") equals the shipped value (which daemon_config checks against
the parser's defaults), and a numeric key's entry states the parser's range "min..max".
Then it shows that it can fail: a page with one key taken out, and a config with one key
added, must both be caught.
"""
import re
import subprocess
import sys


def parser_keys(binary):
    out = subprocess.run([binary], check=True, capture_output=True, text=True).stdout
    keys = {}
    for line in out.splitlines():
        sec, name, numeric, lo, hi = line.split("\t")
        keys[(sec, name)] = (numeric == "1", int(lo), int(hi))
    return keys


def man_keys(text):
    """{(section, key): (default, entry text)} from .SS "[section]" / .TP / .B key = default."""
    keys, sec, cur, prev = {}, None, None, ""
    for line in text.splitlines():
        m = re.match(r'\.SS\s+"?\[([a-z_]+)\]"?\s*$', line)
        if m:
            sec, cur = m.group(1), None
        elif line.startswith((".SH", ".SS")):
            sec, cur = None, None
        elif prev == ".TP" and sec and line.startswith(".B "):
            m = re.match(r"\.B\s+([a-z_]+)\s*=\s*(.*?)\s*$", line)
            if m:
                cur = (sec, m.group(1))
                keys[cur] = [m.group(2), ""]
        elif line == ".TP":
            cur = None
        elif cur:
            keys[cur][1] += line + "\n"
        prev = line.strip()
    return {k: tuple(v) for k, v in keys.items()}


def conf_keys(text):
    keys, sec = {}, None
    for line in text.splitlines():
        s = line.strip()
        if not s or s[0] in ";#":
            continue
        m = re.match(r"\[([^\]]+)\]$", s)
        if m:
            sec = m.group(1).strip()
            continue
        k, _, v = s.partition("=")
        keys[(sec, k.strip())] = v.split(" ;")[0].strip()
    return keys


def problems(parser, man, conf):
    out = []
    name = lambda k: f"[{k[0]}] {k[1]}"
    for k in sorted(parser.keys() - man.keys()):
        out.append(f"{name(k)}: the parser knows it, sipalgd.conf(5) does not document it")
    for k in sorted(man.keys() - parser.keys()):
        out.append(f"{name(k)}: sipalgd.conf(5) documents it, the parser does not know it")
    for k in sorted(parser.keys() - conf.keys()):
        out.append(f"{name(k)}: the parser knows it, the shipped config does not show it")
    for k in sorted(conf.keys() - parser.keys()):
        out.append(f"{name(k)}: the shipped config sets it, the parser does not know it")
    for k in sorted(parser.keys() & man.keys()):
        numeric, lo, hi = parser[k]
        default, entry = man[k]
        if k in conf and conf[k] != default:
            out.append(f"{name(k)}: sipalgd.conf(5) gives default '{default}', the shipped config '{conf[k]}'")
        if numeric and f"{lo}..{hi}" not in entry:
            out.append(f"{name(k)}: sipalgd.conf(5) does not state the parser's range {lo}..{hi}")
    return out


def main():
    binary, man_path, conf_path = sys.argv[1:4]
    parser = parser_keys(binary)
    man_text = open(man_path, encoding="utf-8").read()
    conf_text = open(conf_path, encoding="utf-8").read()
    man, conf = man_keys(man_text), conf_keys(conf_text)
    found = problems(parser, man, conf)
    for p in found:
        print("FAIL:", p)
    print(f"{len(parser)} keys in the parser, {len(man)} in sipalgd.conf(5), {len(conf)} in the shipped config")
    if not parser:
        print("FAIL: the parser's table came back empty")
        return 1
    # The check must be able to fail: take one key out of the page, add one to the config.
    victim = sorted(parser)[0]
    cut = re.sub(rf"(?m)^\.B {victim[1]} = .*\n", "", man_text, count=1)
    if not any(victim[1] in p for p in problems(parser, man_keys(cut), conf)):
        print(f"FAIL: selftest: a page without [{victim[0]}] {victim[1]} was not caught")
        found.append("selftest")
    extra = conf_text + "\n[general]\nno_such_key_selftest = 1\n"
    if not any("no_such_key_selftest" in p for p in problems(parser, man, conf_keys(extra))):
        print("FAIL: selftest: a config with an unknown key was not caught")
        found.append("selftest")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
