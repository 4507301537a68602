#!/usr/bin/env python3
"""Joins bench/dgemm.sh's measurements into its three tables."""
import json
import re
import sys

go_txt, peers_jsonl, matmul_jsonl = sys.argv[1:4]
ours = {}
pat = re.compile(r"^Benchmark(Dgemm|Sgemm)Parallel/(\w+)/(\w+)/(\S+?)-\d+\s.*?([\d.]+) GFLOP/s")
for line in open(go_txt):
    m = pat.match(line)
    if m:
        kind, isa, form, shape, g = m.groups()
        ours[(kind.lower(), isa, form, shape)] = float(g)
peers = {}
for line in open(peers_jsonl):
    r = json.loads(line)
    peers[(r["peer"], r["dtype"], r["form"], r["shape"])] = r["gflops"]


def cell(v):
    return f"{v:.1f}" if v else "-"


def ratio(a, b):
    return f"{a / b:.2f}" if a and b else "-"


print("DGEMM, GFLOP/s on every core (float64, row-major); ratio = ours / OpenBLAS\n")
print("| form | m x k x n | avx512 | OpenBLAS AVX-512 | ratio | avx2 | OpenBLAS Haswell | ratio |")
print("|---|---|---|---|---|---|---|---|")
for (kind, isa, form, shape) in ours:
    if kind != "dgemm" or isa != "avx512":
        continue
    a5, o5 = ours.get(("dgemm", "avx512", form, shape)), peers.get(("openblas", "float64", form, shape))
    a2, o2 = ours.get(("dgemm", "avx2", form, shape)), peers.get(("openblas-haswell", "float64", form, shape))
    print(f"| {form} | {shape} | {cell(a5)} | {cell(o5)} | {ratio(a5, o5)} | {cell(a2)} | {cell(o2)} | {ratio(a2, o2)} |")

print("\nSGEMM's NT form at batch 64 (an MLP's input gradient), GFLOP/s on every core\n")
print("| m x k x n | avx512 | OpenBLAS AVX-512 | ratio |")
print("|---|---|---|---|")
for (kind, isa, form, shape), v in ours.items():
    if kind == "sgemm":
        o = peers.get(("openblas", "float32", form, shape))
        print(f"| {shape} | {cell(v)} | {cell(o)} | {ratio(v, o)} |")

print("\ngonum's mat.Dense.Mul (float64, n x n), GFLOP/s on every core\n")
print("| n | gonum native | with gonumblas | speed-up |")
print("|---|---|---|---|")
for line in open(matmul_jsonl):
    r = json.loads(line)
    print(f"| {r['n']} | {r['native_gflops']:.1f} | {r['adapter_gflops']:.1f} | {r['speed_up']:.1f}x |")
