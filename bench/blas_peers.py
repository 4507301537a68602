#!/usr/bin/env python3
"""Times OpenBLAS GEMM (through numpy) on the shapes of the kernels' benchmarks.

    blas_peers.py PEER            SGEMM on BenchmarkSgemm's shapes
    blas_peers.py PEER float64    DGEMM on BenchmarkDgemm's shapes

Prints one JSON object per line:
{"peer": ..., "dtype": ..., "form": ..., "shape": "mxkxn", "gflops": ...}.
Run through bench/sgemm.sh or bench/dgemm.sh, which set the OpenBLAS environment per run.
"""
import json
import os
import sys
import time

import numpy as np

SHAPES = [
    ("NN", 64, 784, 512), ("NN", 64, 512, 512), ("NN", 64, 512, 10),
    ("NN", 256, 784, 512), ("NN", 256, 512, 512), ("NN", 256, 512, 10),
    ("NT", 64, 512, 784), ("NT", 64, 512, 512), ("NT", 64, 10, 512),
    ("NT", 256, 512, 784), ("NT", 256, 512, 512),
    ("TN", 784, 64, 512), ("TN", 512, 64, 512), ("TN", 512, 64, 10),
    ("TN", 784, 256, 512), ("TN", 512, 256, 512),
    ("NN", 1024, 1024, 1024), ("NN", 2048, 2048, 2048),
]

# kernels/bench_test.go's dgemmShapes.
DGEMM_SHAPES = [
    ("NN", 256, 256, 256), ("NN", 1024, 1024, 1024), ("NN", 2048, 2048, 2048),
    ("NN", 64, 784, 512), ("NN", 64, 512, 512), ("NT", 64, 512, 784), ("TN", 784, 64, 512),
]


def time_one(form, m, k, n, dtype, min_seconds=0.3):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((k, m) if form[0] == "T" else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if form[1] == "T" else (k, n)).astype(dtype)
    opa = a.T if form[0] == "T" else a
    opb = b.T if form[1] == "T" else b
    c = np.empty((m, n), dtype=dtype)
    np.matmul(opa, opb, out=c)
    best = 0.0
    for _ in range(3):
        reps, t0 = 0, time.perf_counter()
        while True:
            np.matmul(opa, opb, out=c)
            reps += 1
            dt = time.perf_counter() - t0
            if dt >= min_seconds / 3:
                break
        best = max(best, 2.0 * m * n * k * reps / dt / 1e9)
    return best


def blas_library():
    """The libblas.so.3 numpy's products run on, from this process's mapped
    files: Debian's numpy links that alternative, which is the slow
    reference BLAS unless libopenblas0-pthread is installed."""
    np.matmul(np.ones((2, 2)), np.ones((2, 2)))
    with open("/proc/self/maps") as f:
        return sorted({line.split()[-1] for line in f if "/libblas.so" in line})


def main():
    libs = blas_library()
    if not libs or not all("openblas" in lib for lib in libs):
        sys.exit(f"blas_peers.py: numpy runs on {libs or 'no libblas.so found'}, not OpenBLAS: "
                 "apt-get install libopenblas0-pthread (the reference BLAS is some 30x slower)")
    peer = sys.argv[1] if len(sys.argv) > 1 else "openblas"
    dtype = sys.argv[2] if len(sys.argv) > 2 else "float32"
    shapes = DGEMM_SHAPES if dtype == "float64" else SHAPES
    for form, m, k, n in shapes:
        print(json.dumps({"peer": peer, "dtype": dtype, "form": form, "shape": f"{m}x{k}x{n}",
                          "gflops": round(time_one(form, m, k, n, np.dtype(dtype)), 1)}), flush=True)


if __name__ == "__main__":
    main()
