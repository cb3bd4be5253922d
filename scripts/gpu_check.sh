#!/usr/bin/env bash
# The device path on a machine with an NVIDIA GPU: builds the addon against a CUDA libtorch and runs
# the GPU tests (test/gpu/gpu.test.ts: forward/backward parity with the CPU — float32 to 1e-4, bf16
# mixed precision to 1e-3 —, SFT and GRPO steps in bf16 with gradient checkpointing, greedy
# generation equal to the CPU's), then the scale benchmark's posttrain cases on the GPU.
#   LIBTORCH=/path/to/libtorch bash scripts/gpu_check.sh
# LIBTORCH is an unpacked libtorch for C++ from pytorch.org (cxx11 ABI, CUDA build) whose version
# the addon supports (1.13 and later: native/ hides the attention API difference). Afterwards,
# rebuild against the system libtorch with `make -C native clean && make -C native`.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${LIBTORCH:?set LIBTORCH to a CUDA libtorch folder (it must contain lib/libtorch_cuda.so)}"
[[ -f "$LIBTORCH/lib/libtorch_cuda.so" ]] || { echo "gpu_check: $LIBTORCH/lib/libtorch_cuda.so not found: not a CUDA libtorch" >&2; exit 1; }
command -v nvidia-smi >/dev/null && nvidia-smi -L

bash scripts/setup.sh
make -s -C native clean
make -s -C native -j"$(nproc)" LIBTORCH="$LIBTORCH"
npx tsc -p .

node dist/src/cli/main.js info
node -e "import('./dist/src/tensor/index.js').then(pt => { if (!pt.cudaAvailable()) { console.error('gpu_check: the addon sees no CUDA device'); process.exit(1); } })"
node --test --test-concurrency=1 dist/test/gpu/
# the posttrain side of the scale row on the GPU (the PyTorch side needs a CUDA PyTorch; not run here)
for c in '{"case":"sft","batch":8,"seq":2048,"device":"cuda","bf16":true}' '{"case":"sft","batch":8,"seq":2048,"ckpt":true,"device":"cuda","bf16":true}' \
  '{"case":"generate","batch":8,"prompt":32,"new":128,"device":"cuda"}'; do
  node dist/bench/scale_bench.js --child="$c"
done
