#!/usr/bin/python3
"""A pipeline folder with the raw (non-EMA) weights of a `ddpm train` checkpoint, for the EMA lever of the study.

  /usr/bin/python3 tools/eval/checkpoint_weights.py MODEL_DIR OUT_DIR [--which param|ema]

MODEL_DIR is a folder `ddpm train` wrote (checkpoint.safetensors beside model_index.json). OUT_DIR gets a copy
of its pipeline files (model_index.json, sampling_defaults.json, scheduler/, unet/config.json) and
unet/diffusion_pytorch_model.safetensors in F32 from the checkpoint's `param.NAME` tensors (the weights the
optimiser moves; --which ema takes `ema.NAME`, what the trainer exports). The checkpoint stores each tensor
flat; the shapes come from MODEL_DIR's own unet weights, whose names are the same.

Safetensors is read and written by hand (8-byte header length, JSON header, raw little-endian data): Debian
has no python3-safetensors, and this needs nothing more than the format's first page.
"""
import argparse
import json
import os
import shutil
import struct
import sys

import numpy as np



def read_header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)), 8 + n


def read_tensor(path, header, base, name):
    info = header[name]
    begin, end = info["data_offsets"]
    with open(path, "rb") as f:
        f.seek(base + begin)
        raw = f.read(end - begin)
    return np.frombuffer(raw, dtype=np.float32).copy()


def write_safetensors(path, tensors, metadata):
    header, offset, blobs = {"__metadata__": metadata}, 0, []
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("out")
    ap.add_argument("--which", choices=["param", "ema"], default="param")
    args = ap.parse_args()
    ckpt = os.path.join(args.model, "checkpoint.safetensors")
    weights = os.path.join(args.model, "unet", "diffusion_pytorch_model.safetensors")
    for p in (ckpt, weights):
        if not os.path.exists(p):
            sys.exit(f"checkpoint_weights: {p} missing")
    c_header, c_base = read_header(ckpt)
    u_header, _ = read_header(weights)
    os.makedirs(os.path.join(args.out, "unet"), exist_ok=True)
    for name in ("model_index.json", "sampling_defaults.json"):
        if os.path.exists(os.path.join(args.model, name)):
            shutil.copy(os.path.join(args.model, name), args.out)
    shutil.copytree(os.path.join(args.model, "scheduler"), os.path.join(args.out, "scheduler"), dirs_exist_ok=True)
    shutil.copy(os.path.join(args.model, "unet", "config.json"), os.path.join(args.out, "unet"))
    tensors = {}
    for name, info in u_header.items():
        if name == "__metadata__":
            continue
        key = f"{args.which}.{name}"
        if key not in c_header:
            sys.exit(f"checkpoint_weights: {ckpt} has no {key}")
        flat = read_tensor(ckpt, c_header, c_base, key)
        shape = info["shape"]
        if flat.size != int(np.prod(shape)):
            sys.exit(f"checkpoint_weights: {key} has {flat.size} values, the unet's {name} is {shape}")
        tensors[name] = flat.reshape(shape)
    meta = c_header.get("__metadata__", {})
    write_safetensors(os.path.join(args.out, "unet", "diffusion_pytorch_model.safetensors"), tensors,
                      {"source": f"{ckpt} {args.which}.* at step {meta.get('step', '?')}"})
    print(f"{args.out}: {len(tensors)} tensors ({args.which}) from {ckpt} at step {meta.get('step', '?')}")


if __name__ == "__main__":
    main()
