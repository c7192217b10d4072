#!/usr/bin/env python3
"""check_tree.py - alg/ must be a tree: no circle among its files.

Two graphs over modules (a module is a file's name without .c/.h):
  includes: X -> Y when X.c or X.h has #include "Y.h" (a local header);
  symbols:  X -> Y when X.o uses a global that Y.o defines (nm), which
            catches a circle hidden behind one shared header.
Any cycle in either is printed and fails (exit 1).
Usage: check_tree.py DIR [OBJECT.o ...]
"""
import os
import re
import subprocess
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)\.h"', re.M)


def include_graph(d):
    g = {}
    for f in sorted(os.listdir(d)):
        stem, ext = os.path.splitext(f)
        if ext not in ('.c', '.h'):
            continue
        with open(os.path.join(d, f), encoding='utf-8', errors='replace') as fh:
            for y in INCLUDE.findall(fh.read()):
                if y != stem and os.path.exists(os.path.join(d, y + '.h')):
                    g.setdefault(stem, set()).add(y)
    return g


def symbol_graph(objs):
    defined, used = {}, {}
    for o in objs:
        stem = os.path.basename(o).split('.')[0]
        out = subprocess.run(['nm', '-g', o], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[0] == 'U':
                used.setdefault(stem, set()).add(parts[1])
            elif len(parts) == 3 and parts[1] in 'TDBRC':
                defined[parts[2]] = stem
    g = {}
    for x, syms in used.items():
        for s in syms:
            y = defined.get(s)
            if y and y != x:
                g.setdefault(x, set()).add(y)
    return g


def find_cycle(g):
    state, stack = {}, []

    def dfs(x):
        state[x] = 1
        stack.append(x)
        for y in sorted(g.get(x, ())):
            if state.get(y) == 1:
                return stack[stack.index(y):] + [y]
            if y not in state:
                c = dfs(y)
                if c:
                    return c
        stack.pop()
        state[x] = 2
        return None

    for x in sorted(g):
        if x not in state:
            c = dfs(x)
            if c:
                return c
    return None


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    bad = False
    for name, g in (('include', include_graph(sys.argv[1])),
                    ('symbol', symbol_graph(sys.argv[2:]))):
        c = find_cycle(g)
        if c:
            print('%s circle in %s: %s' % (name, sys.argv[1], ' -> '.join(c)))
            bad = True
        else:
            print('%s graph of %s: a tree (%d modules with edges)' % (name, sys.argv[1], len(g)))
    sys.exit(1 if bad else 0)


main()
