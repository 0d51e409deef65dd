#!/usr/bin/env bash
# 100 class-conditional samples per Fashion-MNIST class (DDIM 50 steps, guidance as shipped), as
# safetensors for tools/eval/fashion_quality.py:
#   tools/eval/sample_fashion.sh MODEL_DIR OUT_DIR [GUIDANCE] [THREADS]
set -euo pipefail
model=${1:?model folder}; out=${2:?output folder}; guidance=${3:-2}; threads=${4:-2}
ddpm=${DDPM:-build/native/ddpm}
mkdir -p "$out"
for c in 0 1 2 3 4 5 6 7 8 9; do
  "$ddpm" sample --model "$model" --scheduler ddim --steps 50 --class "$c" --num-images 100 \
    --guidance-scale "$guidance" --seed "$((1000 + c))" --threads "$threads" --output "$out/class_$c.safetensors"
done
