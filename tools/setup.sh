#!/usr/bin/env bash
# Installs what ddpm-wasm needs on Debian bookworm: system packages through apt (as root, or prints the
# command to run), then npm packages from the committed lockfile. Idempotent: quick when all is there.
#   bash tools/setup.sh           what the build and `npm test` need
#   bash tools/setup.sh --eval    also Debian's python3-torch and the packages the judge (tools/eval) and the
#                                 PyTorch training baseline (shared/bench/torch_train_bench.py) import
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  emscripten cmake ninja-build clang libclang-rt-14-dev g++
  libhwy-dev catch2 nlohmann-json3-dev libcli11-dev libstb-dev libspng-dev
  libxnnpack-dev libpthreadpool-dev dataset-fashion-mnist chromium wabt
)

if [ "${1:-}" = "--eval" ]; then
  APT_PACKAGES+=(python3-torch python3-numpy python3-packaging python3-regex python3-requests python3-filelock
                 python3-importlib-metadata python3-tqdm python3-pil)
fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo apt-get update -q
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "setup: not root; run this, then try again:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js 20 or newer is needed (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

# npm packages, exactly as locked. Skip when node_modules already matches the lockfile, and when the
# lockfile has no packages at all (npm ci would then only delete node_modules).
if [ -f package-lock.json ] && grep -q '"node_modules/' package-lock.json; then
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: npm ci" >&2
    # onnxruntime-node (a bench-only devDependency) would download CUDA libraries from outside the npm
    # registry in its postinstall; its CPU binding ships inside the package.
    ONNXRUNTIME_NODE_INSTALL=skip ONNXRUNTIME_NODE_INSTALL_CUDA=skip npm ci --no-audit --no-fund
  fi
fi
