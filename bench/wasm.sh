#!/usr/bin/env bash
# The portable kernel on a platform it is built for: WebAssembly (GOOS=js
# GOARCH=wasm) under Node.js, whose V8 compiles it for this CPU. One thread,
# as wasm runs Go. Beside gonum on the same engine, where gonum is its plain
# Go (it has no wasm assembly): blas32's SGEMM on the issue's two shapes,
# and mat.Dense.Mul (float64) before and after the gonumblas adapter.
#
#   bash bench/wasm.sh        # needs: apt-get install nodejs
set -euo pipefail
cd "$(dirname "$0")/.."
command -v node > /dev/null || { echo "bench/wasm.sh: needs Node.js: apt-get install nodejs" >&2; exit 1; }
export PATH="$PATH:$(go env GOROOT)/lib/wasm" GOOS=js GOARCH=wasm
out=$(mktemp -d)
shapes=64x512x512,2048x2048x2048

echo "ebm's portable kernel (generic), wasm ..." >&2
go test -run '^$' -bench "^BenchmarkSgemm\$/generic/NN/(${shapes//,/|})\$" -benchtime 3s ./kernels > "$out/go.txt"
echo "gonum blas32, wasm ..." >&2
(cd bench && go build -o "$out/gonum.wasm" ./gonum)
go_js_wasm_exec "$out/gonum.wasm" gonum-wasm "$shapes" > "$out/peers.jsonl"
echo "gonum mat.Dense.Mul, then with the adapter, wasm ..." >&2
(cd gonumblas/matmul && go build -o "$out/matmul.wasm" .)
go_js_wasm_exec "$out/matmul.wasm" -sizes 256,1024 -time 3s

echo
printf '%-22s %14s %14s %8s\n' "SGEMM NN, m x k x n" "ebm GFLOP/s" "gonum GFLOP/s" "ratio"
for s in ${shapes//,/ }; do
	ours=$(awk -v s="$s" '$1 ~ "/NN/" s "$" || $1 ~ "/NN/" s "-" {print $(NF-1)}' "$out/go.txt")
	peer=$(grep "\"NN\"" "$out/peers.jsonl" | grep "\"$s\"" | sed 's/.*"gflops":\([0-9.]*\).*/\1/')
	awk -v s="$s" -v a="$ours" -v b="$peer" 'BEGIN { printf "%-22s %14.2f %14.2f %7.2fx\n", s, a, b, a / b }'
done
