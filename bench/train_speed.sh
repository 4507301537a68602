#!/usr/bin/env bash
# Training-iteration speed of the original configuration (batch 64, 50
# Langevin steps from noise), ebm beside PyTorch on the same cores, in one
# run. Needs: apt-get install python3-torch libopenblas0-pthread.
#
#   bench/train_speed.sh                                     the MLP 784-512-512-512-10
#   bench/train_speed.sh 32c4s2p1,64c4s2p1,128c3s2p1 ""      a network as --convs and --hidden give it
#   EBM_KERNELS=avx2 bench/train_speed.sh                    the AVX2 path on both sides (PyTorch's
#                                                            ATEN_CPU_CAPABILITY and oneDNN, OpenBLAS's Haswell kernels)
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
convs=${1:-}
hidden=${2-512,512,512}
go build -o /tmp/ebm-bench ./cmd/ebm
ours=$(/tmp/ebm-bench bench --json --iters 40 --convs "$convs" --hidden "$hidden")
# PyTorch's intra-op threads already use the cores: OpenBLAS must not start
# its own on top (that oversubscription triples PyTorch's time here), and it
# may use its AVX-512 kernels.
if [ "${EBM_KERNELS:-}" = avx2 ]; then
  # The AVX2 path on an AVX-512 machine: PyTorch and OpenBLAS held to AVX2 too.
  torch=$(env -u OPENBLAS_L2_SIZE OPENBLAS_CORETYPE=Haswell ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 OPENBLAS_NUM_THREADS=1 $py bench/torch_iteration.py "$(nproc)" "$convs" "$hidden")
else
  torch=$(env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OPENBLAS_NUM_THREADS=1 $py bench/torch_iteration.py "$(nproc)" "$convs" "$hidden")
fi
echo "ebm:     $ours"
echo "pytorch: $torch"
$py - "$ours" "$torch" <<'PY'
import json, sys
o, t = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"\nnetwork: {o['arch']}")
print(f"ms per iteration: ebm {o['iter_ms']:.1f} ({o['kernels']}, {o['workers']} workers); "
      f"PyTorch {t['torch']} original loop {t['original_iter_ms']:.1f}, tuned loop {t['tuned_iter_ms']:.1f}")
print(f"speed-up: {t['original_iter_ms'] / o['iter_ms']:.2f}x over the original loop, "
      f"{t['tuned_iter_ms'] / o['iter_ms']:.2f}x over the tuned loop")
print(f"ebm: {o['gflops']:.0f} GFLOP/s of products, {o['peak_ratio']:.2f} of the {o['peak_gflops']:.0f} GFLOP/s SGEMM peak; "
      f"1 worker {o['iter_ms_1worker']:.1f} ms, {o['workers']} workers {o['speedup_over_1worker']:.2f}x faster")
# Amdahl: a speed-up S on W workers means a share s = (W/S - 1)/(W - 1) of the
# 1-worker time did not shrink (serial sections and the workers slowing each
# other down, together).
w, sp = o['workers'], o['speedup_over_1worker']
if w > 1:
    s = (w / sp - 1) / (w - 1)
    if s > 0:
        pred = ", ".join(f"{n} cores {1 / (s + (1 - s) / n):.1f}x" for n in (8, 16, 64))
        print(f"serial fraction {s:.3f}; Amdahl's law with it: {pred}")
    else:
        # The two timings are separate runs on a noisy machine.
        print(f"serial fraction below this run's noise ({w} workers at least {w}x faster)")
PY
