#!/usr/bin/env bash
# Side-by-side benchmark of the kernels as a library: DGEMM (avx512 and avx2,
# split over every core) beside OpenBLAS's DGEMM through numpy (its AVX-512
# kernels, and its Haswell kernels forced), SGEMM's NT form at batch 64 beside
# OpenBLAS's SGEMM, and gonum's mat.Dense.Mul with its native BLAS and with
# the gonumblas adapter. Prints the tables with the ratios.
#
#   bash bench/dgemm.sh            # needs: apt-get install python3-numpy libopenblas0-pthread
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
py=/usr/bin/python3
threads=$(nproc)

echo "ebm kernels ..." >&2
go test -run '^$' -bench 'DgemmParallel/(avx512|avx2)/|SgemmParallel/avx512/NT/64x' -benchtime 300ms ./kernels > "$out/go.txt"
echo "OpenBLAS DGEMM and SGEMM, AVX-512 kernels, $threads threads ..." >&2
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=$threads $py bench/blas_peers.py openblas float64 > "$out/peers.jsonl"
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=$threads $py bench/blas_peers.py openblas float32 >> "$out/peers.jsonl"
echo "OpenBLAS DGEMM, Haswell (AVX2) kernels, $threads threads ..." >&2
OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=$threads $py bench/blas_peers.py openblas-haswell float64 >> "$out/peers.jsonl"
echo "gonum mat.Dense.Mul, native and with gonumblas ..." >&2
(cd gonumblas/matmul && go run . -json) > "$out/matmul.jsonl"
$py bench/dgemm_table.py "$out/go.txt" "$out/peers.jsonl" "$out/matmul.jsonl"
