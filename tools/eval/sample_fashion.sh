#!/usr/bin/env bash
# 100 class-conditional samples per Fashion-MNIST class, as safetensors for tools/eval/fashion_quality.py:
#
#   tools/eval/sample_fashion.sh MODEL_DIR OUT_DIR [extra `ddpm sample` flags...]
#
# With no extra flags the model's own sampling_defaults.json decides the scheduler, steps, eta and
# guidance scale (the "shipped defaults"); extra flags override them, e.g.
#   tools/eval/sample_fashion.sh models/fashion-mnist build/eval/g2 --guidance-scale 2
#   tools/eval/sample_fashion.sh models/fashion-mnist build/eval/dpmpp20 --scheduler dpmpp --steps 20
#
# Seeds are fixed: class C is drawn with --seed 1000+C (100 images from one seed's noise stream), so two
# runs of the same model and settings give the same images. The exact commands are written to
# OUT_DIR/commands.txt.
# Environment: DDPM (the CLI, default build/native/ddpm), THREADS (worker threads, default 2),
# PER_CLASS (images per class, default 100).
set -euo pipefail
model=${1:?usage: sample_fashion.sh MODEL_DIR OUT_DIR [ddpm sample flags...]}
out=${2:?usage: sample_fashion.sh MODEL_DIR OUT_DIR [ddpm sample flags...]}
shift 2
ddpm=${DDPM:-build/native/ddpm}
threads=${THREADS:-2}
per_class=${PER_CLASS:-100}
mkdir -p "$out"
: > "$out/commands.txt"
for c in 0 1 2 3 4 5 6 7 8 9; do
  cmd=("$ddpm" sample --model "$model" --class "$c" --num-images "$per_class" --seed "$((1000 + c))"
       --threads "$threads" --output "$out/class_$c.safetensors" "$@")
  printf '%q ' "${cmd[@]}" >> "$out/commands.txt"
  echo >> "$out/commands.txt"
  "${cmd[@]}"
done
