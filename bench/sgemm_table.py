#!/usr/bin/env python3
"""Joins `go test -bench Sgemm` output with peers' JSON lines into one table."""
import json
import re
import sys

go_txt, peers_jsonl = sys.argv[1], sys.argv[2]
ours = {}
pat = re.compile(r"^Benchmark(Sgemm|SgemmParallel)/(\w+)/(\w+)/(\S+?)-\d+\s.*?([\d.]+) GFLOP/s")
for line in open(go_txt):
    m = pat.match(line)
    if m:
        kind, isa, form, shape, g = m.groups()
        ours[(isa, "par" if kind == "SgemmParallel" else "1t", form, shape)] = float(g)
peers = {}
for line in open(peers_jsonl):
    r = json.loads(line)
    if r.get("dtype", "float32") == "float32":
        peers[(r["peer"], r["form"], r["shape"])] = r["gflops"]

shapes = []
for (isa, mode, form, shape) in ours:
    if (form, shape) not in shapes:
        shapes.append((form, shape))

cols = [
    ("avx512 2g", lambda f, s: ours.get(("avx512", "par", f, s))),
    ("OpenBLAS 2t", lambda f, s: peers.get(("openblas", f, s))),
    ("ratio", None),
    ("avx512 1t", lambda f, s: ours.get(("avx512", "1t", f, s))),
    ("OpenBLAS 1t", lambda f, s: peers.get(("openblas-1t", f, s))),
    ("ratio", None),
    ("avx2 2g", lambda f, s: ours.get(("avx2", "par", f, s))),
    ("Haswell 2t", lambda f, s: peers.get(("openblas-haswell", f, s))),
    ("ratio", None),
    ("avx2 1t", lambda f, s: ours.get(("avx2", "1t", f, s))),
    ("Haswell 1t", lambda f, s: peers.get(("openblas-haswell-1t", f, s))),
    ("ratio", None),
    ("gonum", lambda f, s: peers.get(("gonum", f, s))),
    ("avx512 2g/gonum", None),
    ("gonum 1t", lambda f, s: peers.get(("gonum-1t", f, s))),
    ("avx512 1t/gonum 1t", None),
]
print("GFLOP/s, float32, row-major; 2g = split over 2 goroutines, 1t = one thread; ratio = ours / peer\n")
print("| form | m x k x n | " + " | ".join(c[0] for c in cols) + " |")
print("|---|---|" + "---|" * len(cols))
for form, shape in shapes:
    row, prev = [], []
    for name, get in cols:
        if get is None:
            a, b = prev[-2], prev[-1]
            if name.endswith("/gonum"):
                a, b = ours.get(("avx512", "par", form, shape)), prev[-1]
            if name.endswith("/gonum 1t"):
                a, b = ours.get(("avx512", "1t", form, shape)), prev[-1]
            row.append(f"{a / b:.2f}" if a and b else "-")
        else:
            v = get(form, shape)
            prev.append(v)
            row.append(f"{v:.1f}" if v else "-")
    print(f"| {form} | {shape} | " + " | ".join(row) + " |")
