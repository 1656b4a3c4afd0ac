#!/usr/bin/env bash
# Compiles hamming.cu to PTX when nvcc is on the PATH; without nvcc it does nothing, and the
# checked-in PTX (src/main/resources/io/mnemocore/hdv/kernel/hamming.ptx) is what ships.
#   build-ptx.sh OUT_FILE
# nvcc 13 writes PTX ISA 9.0, which only CUDA 13 drivers JIT; the kernels use nothing newer than
# ISA 7.5 (popc, shfl.sync, vote.sync, 64-bit atomic or), so the header is set to 7.5, which
# CUDA 11.5+, 12 and 13 drivers all JIT. ptxas checks the result for sm_75 when it is present.
set -euo pipefail
out="$1"
if ! command -v nvcc >/dev/null 2>&1; then
  echo "nvcc not found: using the checked-in PTX" >&2
  exit 0
fi
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp)"
nvcc -ptx -arch=compute_75 -o "$tmp" "$here/hamming.cu"
mkdir -p "$(dirname "$out")"
sed 's/^\.version [0-9]*\.[0-9]*$/.version 7.5/' "$tmp" > "$out"
rm -f "$tmp"
if command -v ptxas >/dev/null 2>&1; then
  ptxas -arch=sm_75 "$out" -o /dev/null
fi
echo "built $out with $(nvcc --version | tail -1)" >&2
