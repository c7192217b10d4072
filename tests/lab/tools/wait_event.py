#!/usr/bin/env python3
"""Wait (bounded) until a phone's ctrl log holds N events of a type.

Usage: wait_event.py LOG TYPE [--count N] [--timeout S] [--after-line K]
Exit 0 when found (prints the matching event), 1 on timeout.
TYPE may also be "response" to wait for command responses.
"""
import argparse
import json
import sys
import time


def matches(msg, kind):
    if kind == "response":
        return msg.get("response") is True
    return msg.get("event") is True and msg.get("type") == kind


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("type")
    ap.add_argument("--count", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--after-line", type=int, default=0)
    a = ap.parse_args()
    end = time.monotonic() + a.timeout
    while True:
        found = []
        try:
            with open(a.log) as f:
                for i, line in enumerate(f):
                    if i < a.after_line:
                        continue
                    try:
                        msg = json.loads(line)
                    except ValueError:
                        continue
                    if matches(msg, a.type):
                        found.append(msg)
        except FileNotFoundError:
            pass
        if len(found) >= a.count:
            print(json.dumps(found[a.count - 1]))
            return 0
        if time.monotonic() > end:
            return 1
        time.sleep(0.1)


if __name__ == "__main__":
    sys.exit(main())
