#!/usr/bin/python3
"""Quality of a class-conditional Fashion-MNIST model, measured with a classifier trained here.

  /usr/bin/python3 tools/eval/fashion_quality.py --samples DIR [--cache build/eval]

DIR holds class_0.safetensors .. class_9.safetensors, each written by
`ddpm sample --class C --output DIR/class_C.safetensors` (key `images`, F32 [N, 1, 32, 32] in [0, 1]).

Prints:
  * the classifier's accuracy on the real test set (so its judgement can be weighed),
  * its accuracy on the samples (does a sample of class C look like a C?),
  * the Fréchet distance between the classifier's penultimate features of the samples and of as many
    real test images, and the same distance between two disjoint halves of the real test set (the
    floor for this sample size: two real sets are not at distance 0).

The classifier is a small CNN trained with Debian's python3-torch on the training split, padded to
32x32 and scaled to [-1, 1] exactly as `ddpm train` sees the data. It is seeded and cached.
Why not Inception FID: no Inception weights are reachable here, and 32x32 grey garments are far from
ImageNet; a Fashion-MNIST feature space is the meaningful one (the distance is not comparable with
published FID numbers, only with itself).
"""
import argparse
import gzip
import json
import os
import struct
import sys
import zlib

import numpy as np

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit("fashion_quality: needs Debian's python3-torch: sudo apt-get install python3-torch "
             "(or: bash tools/setup.sh --eval), and run it with /usr/bin/python3")

DATA_DIR = "/usr/share/datasets/fashion-mnist"
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
           "Ankle boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load_split(split):
    images = read_idx(os.path.join(DATA_DIR, f"{split}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(DATA_DIR, f"{split}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.astype(np.float32) / 127.5 - 1.0)
    x = F.pad(x, (2, 2, 2, 2), value=-1.0).unsqueeze(1)  # 28x28 -> 32x32, background stays -1
    return x, torch.from_numpy(labels.astype(np.int64))


def read_safetensors(path, key):
    with open(path, "rb") as f:
        n, = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n))
        entry = header[key]
        if entry["dtype"] != "F32":
            sys.exit(f"{path}: {key} is {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        f.seek(8 + n + begin)
        data = np.frombuffer(f.read(end - begin), dtype="<f4").reshape(entry["shape"])
    return torch.from_numpy(data.copy())


class Classifier(nn.Module):
    """Two conv stages and a 128-wide feature layer: ~92% on the Fashion-MNIST test set."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.conv3 = nn.Conv2d(64, 64, 3, padding=1)
        self.fc = nn.Linear(64 * 4 * 4, 128)
        self.out = nn.Linear(128, 10)

    def features(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.max_pool2d(F.relu(self.conv3(x)), 2)
        return F.relu(self.fc(x.flatten(1)))

    def forward(self, x):
        return self.out(self.features(x))


def train_classifier(cache):
    path = os.path.join(cache, "fashion_classifier.pt")
    model = Classifier()
    if os.path.exists(path):
        model.load_state_dict(torch.load(path))
        return model
    torch.manual_seed(0)
    x, y = load_split("train")
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    epochs = 4
    for epoch in range(epochs):
        perm = torch.randperm(len(x))
        model.train()
        for i in range(0, len(x), 128):
            idx = perm[i:i + 128]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"classifier epoch {epoch + 1}/{epochs}: last batch loss {loss.item():.3f}", file=sys.stderr)
    os.makedirs(cache, exist_ok=True)
    tmp = path + ".tmp"
    torch.save(model.state_dict(), tmp)
    os.replace(tmp, path)
    return model


@torch.no_grad()
def predict(model, x):
    model.eval()
    feats, preds = [], []
    for i in range(0, len(x), 500):
        f = model.features(x[i:i + 500])
        feats.append(f)
        preds.append(model.out(f).argmax(1))
    return torch.cat(feats).double(), torch.cat(preds)


def frechet_distance(a, b):
    """||mu_a - mu_b||^2 + tr(Sa + Sb - 2 (Sa^1/2 Sb Sa^1/2)^1/2), in float64 through symmetric eigh."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    sa, sb = torch.cov(a.T), torch.cov(b.T)
    w, v = torch.linalg.eigh(sa)
    sa_half = (v * w.clamp(min=0).sqrt()) @ v.T
    middle = torch.linalg.eigvalsh(sa_half @ sb @ sa_half).clamp(min=0).sqrt().sum()
    return float(((mu_a - mu_b) ** 2).sum() + sa.trace() + sb.trace() - 2 * middle)


def write_grid_png(path, per_class, columns=10, pad=2):
    """One row per class, `columns` samples each, grey on a white frame: the picture in models/README.md."""
    rows = len(per_class)
    h = w = 32
    H, W = rows * (h + pad) + pad, columns * (w + pad) + pad
    canvas = np.full((H, W), 255, dtype=np.uint8)
    for r, images in enumerate(per_class):
        for c in range(min(columns, len(images))):
            tile = (images[c, 0].numpy().clip(0, 1) * 255 + 0.5).astype(np.uint8)
            y, x = pad + r * (h + pad), pad + c * (w + pad)
            canvas[y:y + h, x:x + w] = tile
    raw = b"".join(b"\x00" + canvas[y].tobytes() for y in range(H))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", W, H, 8, 0, 0, 0, 0)) +
           chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(png)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--samples", required=True, help="folder with class_0..class_9.safetensors")
    ap.add_argument("--cache", default="build/eval", help="where the trained classifier is kept")
    ap.add_argument("--json", help="also write the figures here")
    ap.add_argument("--grid", help="also write a PNG with the first 10 samples of each class, a row per class")
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    model = train_classifier(args.cache)
    test_x, test_y = load_split("t10k")
    test_feats, test_pred = predict(model, test_x)
    test_acc = float((test_pred == test_y).double().mean())

    xs, ys = [], []
    for c in range(10):
        path = os.path.join(args.samples, f"class_{c}.safetensors")
        if not os.path.exists(path):
            sys.exit(f"fashion_quality: {path} is missing (ddpm sample --class {c} --output {path})")
        images = read_safetensors(path, "images")
        if images.ndim != 4 or tuple(images.shape[1:]) != (1, 32, 32):
            sys.exit(f"{path}: images has shape {list(images.shape)}, expected [N, 1, 32, 32]")
        xs.append(images * 2.0 - 1.0)  # [0, 1] -> the classifier's [-1, 1]
        ys.append(torch.full((len(images),), c, dtype=torch.int64))
    if args.grid:
        write_grid_png(args.grid, [(im + 1.0) / 2.0 for im in xs])
    x, y = torch.cat(xs), torch.cat(ys)
    feats, pred = predict(model, x)
    per_class = [float((pred[y == c] == c).double().mean()) for c in range(10)]
    n = len(x)

    # Real references drawn with a fixed permutation: the first n against the samples, and two disjoint
    # halves of the test set against each other (real vs real, at the same size n).
    perm = torch.randperm(len(test_x), generator=torch.Generator().manual_seed(1))
    if 2 * n > len(test_x):
        sys.exit(f"fashion_quality: {n} samples; real-vs-real needs 2n <= {len(test_x)} test images")
    real_a, real_b = test_feats[perm[:n]], test_feats[perm[n:2 * n]]
    figures = {
        "samples": n,
        "classifier_test_accuracy": test_acc,
        "sample_accuracy": float((pred == y).double().mean()),
        "sample_accuracy_per_class": dict(zip(CLASSES, per_class)),
        "frechet_samples_vs_real": frechet_distance(feats, real_a),
        "frechet_real_vs_real": frechet_distance(real_b, real_a),
    }
    print(f"classifier accuracy on the real test set: {test_acc:.4f}")
    print(f"classifier accuracy on {n} samples: {figures['sample_accuracy']:.4f}")
    for name, acc in figures["sample_accuracy_per_class"].items():
        print(f"  {name:12s} {acc:.2f}")
    print(f"Fréchet distance, classifier features (128-d), samples vs {n} real test images: "
          f"{figures['frechet_samples_vs_real']:.3f}")
    print(f"Fréchet distance, real vs real ({n} vs {n} disjoint test images): {figures['frechet_real_vs_real']:.3f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
