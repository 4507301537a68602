#!/usr/bin/env bash
# Side-by-side SGEMM benchmark: our kernels (Go benchmarks, single-threaded and
# split over GOMAXPROCS goroutines) beside OpenBLAS through Debian's numpy
# (its AVX-512 kernels, and its Haswell AVX2 kernels) and gonum's blas32, on
# the same shapes in one run. Prints a table of GFLOP/s and ratios.
#
#   bash bench/sgemm.sh            # needs: apt-get install python3-numpy libopenblas0-pthread
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
py=/usr/bin/python3
threads=$(nproc)

echo "ebm kernels ..." >&2
go test -run '^$' -bench 'Sgemm(Parallel)?/(avx512|avx2)/' -benchtime 300ms ./kernels > "$out/go.txt"
echo "OpenBLAS, AVX-512 kernels, $threads threads ..." >&2
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=$threads $py bench/blas_peers.py openblas > "$out/peers.jsonl"
echo "OpenBLAS, AVX-512 kernels, 1 thread ..." >&2
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 $py bench/blas_peers.py openblas-1t >> "$out/peers.jsonl"
echo "OpenBLAS, Haswell (AVX2) kernels, $threads threads ..." >&2
OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=$threads $py bench/blas_peers.py openblas-haswell >> "$out/peers.jsonl"
echo "OpenBLAS, Haswell (AVX2) kernels, 1 thread ..." >&2
OPENBLAS_CORETYPE=Haswell OPENBLAS_NUM_THREADS=1 $py bench/blas_peers.py openblas-haswell-1t >> "$out/peers.jsonl"
echo "gonum blas32 ..." >&2
(cd bench && go build -o "$out/gonum" ./gonum)
"$out/gonum" gonum >> "$out/peers.jsonl"
echo "gonum blas32, GOMAXPROCS=1 ..." >&2
GOMAXPROCS=1 "$out/gonum" gonum-1t >> "$out/peers.jsonl"
$py bench/sgemm_table.py "$out/go.txt" "$out/peers.jsonl"
