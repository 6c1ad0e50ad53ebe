#!/usr/bin/env python3
"""The shape of src/, checked against src/README.md.

    python3 tests/lib/layout.py TOP [OBJDIR]

Prints one line per fault and exits 1 when there is any:
  - a file of src/ over 700 lines;
  - an include that runs against the layers that src/README.md lists
    (its line "Layers: A < B < ... < X | Y"): a folder includes only its
    own files and the folders before it; folders joined by "|" share a
    rank and include none of one another;
  - an include circle between modules;
  - with OBJDIR (the built src/), a call circle between modules, read
    from the objects' symbol tables with nm.

A module is NAME.c with NAME.h, and the files NAME_PART.c and NAME_PART.h
of its folder whose header no file outside NAME_* includes: the parts of
one module (http.c, http_net.c, http_proxy.c), which may call one another.
"""
import os
import re
import subprocess
import sys

top = sys.argv[1]
src = os.path.join(top, 'src')
faults = []

layers = None
for line in open(os.path.join(src, 'README.md')):
    if line.startswith('Layers:'):
        layers = [r.split('|') for r in line[len('Layers:'):].split('<')]
        layers = [[f.strip() for f in r] for r in layers]
if not layers:
    sys.exit('src/README.md has no "Layers:" line')
rank = {f: i for i, r in enumerate(layers) for f in r}

files = []
for root, _, names in os.walk(src):
    for n in names:
        if n.endswith(('.c', '.h')):
            files.append(os.path.relpath(os.path.join(root, n), src))
files.sort()
folders = {f.split('/')[0] for f in files if '/' in f}
for f in sorted(folders - set(rank)):
    faults.append('src/%s/: a folder that the Layers line of src/README.md does not list' % f)

inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
stem = lambda p: p[:-2]
graph = {}
for f in files:
    text = open(os.path.join(src, f)).read()
    n = sum(1 for _ in text.splitlines())
    if n > 700:
        faults.append('src/%s: %d lines (at most 700)' % (f, n))
    here = f.split('/')[0] if '/' in f else None
    for h in inc.findall(text):
        target = h if '/' in h else (here + '/' + h if here else h)
        if not os.path.exists(os.path.join(src, target)):
            continue
        graph.setdefault(stem(f), set()).add(stem(target))
        there = target.split('/')[0]
        if here is None or there == here or here not in rank or there not in rank:
            continue
        if rank[there] >= rank[here]:
            faults.append('src/%s includes "%s": %s/ may not include %s/'
                          % (f, h, here, there))


def circles(g):
    """Tarjan's strongly connected components of more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))
    sys.setrecursionlimit(10000)
    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


includers = {}
for a, bs in graph.items():
    for b in bs:
        includers.setdefault(b, set()).add(a)


def module_of(st):
    folder, _, name = st.rpartition('/')
    prefix = name.split('_')[0]
    base = (folder + '/' if folder else '') + prefix
    if prefix == name or not (os.path.exists(os.path.join(src, base + '.h'))
                              or os.path.exists(os.path.join(src, base + '.c'))):
        return st
    for who in includers.get(st, ()):
        w = who.rpartition('/')[2]
        if who.rpartition('/')[0] != folder or not (w == prefix or w.startswith(prefix + '_')):
            return st
    return base


def by_module(g):
    out = {}
    for a, bs in g.items():
        for b in bs:
            ma, mb = module_of(a), module_of(b)
            if ma != mb:
                out.setdefault(ma, set()).add(mb)
    return out


for c in circles(by_module(graph)):
    faults.append('include circle: ' + ' <-> '.join(c))

if len(sys.argv) > 2:
    objdir = sys.argv[2]
    defs, uses = {}, {}
    for f in files:
        if not f.endswith('.c'):
            continue
        o = os.path.join(objdir, f[:-2] + '.o')
        if not os.path.exists(o):
            continue
        out = subprocess.run(['nm', o], capture_output=True, text=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in 'TDBRCG':
                defs[p[2]] = stem(f)
            elif len(p) == 2 and p[0] == 'U':
                uses.setdefault(stem(f), set()).add(p[1])
    calls = {m: {defs[s] for s in us if s in defs and defs[s] != m}
             for m, us in uses.items()}
    for c in circles(by_module(calls)):
        faults.append('call circle: ' + ' <-> '.join(c))

for f in faults:
    print(f)
sys.exit(1 if faults else 0)
