#!/usr/bin/env python3
"""How well can any inpainter do on `ebm eval`'s inpainting task?

Usage: inpaint_ceiling.py DATA_DIR [EPOCHS [SEED]]

`ebm eval` hides the lower half of each test digit (rows 14-27), fills it,
and counts the fills the judge reads as the digit's label. A fill can only
carry what the visible upper half says about the class, so a classifier
that sees the upper half alone bounds the task from below: an inpainter
that always completes the upper half's most likely class scores its
accuracy (`map_acc`), one that draws the class from p(y | upper half)
scores the mean of sum_y p(y|upper)^2 (`sample_acc`) if the classifier is
calibrated. A better classifier could raise both, so they are estimates
of the ceiling, not proofs of it.

The classifier is the judge's network (three stride-2 convolutions, 256
features, ELU), trained with Adam and cosine decay on upper halves, the
images moved by up to 2 pixels before the lower half is hidden. Prints one
JSON object; the figures for the first 1,000 test digits (those `ebm eval`
inpaints) are given beside the whole test set's.
"""
import gzip
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def idx(path):
    with gzip.open(path) as f:
        b = f.read()
    dims = b[3]
    shape = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(d, split):
    x = idx(os.path.join(d, f"{split}-images-idx3-ubyte.gz")).astype(np.float32) / 127.5 - 1
    y = idx(os.path.join(d, f"{split}-labels-idx1-ubyte.gz")).astype(np.int64)
    return torch.from_numpy(x).unsqueeze(1), torch.from_numpy(y)


def hide(x):
    x = x.clone()
    x[:, :, 14:, :] = -1
    return x


def shift(x, gen, s=2):
    """Moves each image by up to s pixels each way, the frame filled with background."""
    n, _, h, w = x.shape
    pad = F.pad(x, (s, s, s, s), value=-1)
    d = torch.randint(0, 2 * s + 1, (n, 2), generator=gen).tolist()
    return torch.stack([pad[i, :, dy:dy + h, dx:dx + w] for i, (dy, dx) in enumerate(d)])


def net():
    return nn.Sequential(
        nn.Conv2d(1, 32, 4, 2, 1), nn.ELU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ELU(),
        nn.Conv2d(64, 128, 3, 2, 1), nn.ELU(), nn.Flatten(),
        nn.Linear(4 * 4 * 128, 256), nn.ELU(), nn.Linear(256, 10))


def main():
    try:
        data = sys.argv[1]
        epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
        seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
        if epochs <= 0:
            raise ValueError
    except (IndexError, ValueError):
        sys.exit("usage: inpaint_ceiling.py DATA_DIR [EPOCHS [SEED]] (EPOCHS a positive integer)")
    for split in ("train", "t10k"):
        for part in ("images-idx3", "labels-idx1"):
            path = os.path.join(data, f"{split}-{part}-ubyte.gz")
            if not os.path.isfile(path):
                sys.exit(f"inpaint_ceiling.py: {path}: no such file (DATA_DIR holds the MNIST IDX files)")
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    xtr, ytr = load(data, "train")
    xte, yte = load(data, "t10k")
    xte = hide(xte)
    m = net()
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    batch = 128
    steps = epochs * math.ceil(len(ytr) / batch)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 * (1 + math.cos(math.pi * t / steps)))
    for epoch in range(epochs):
        m.train()
        perm = torch.randperm(len(ytr), generator=gen)
        for i in range(0, len(ytr), batch):
            j = perm[i:i + batch]
            loss = F.cross_entropy(m(hide(shift(xtr[j], gen))), ytr[j])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
        print(f"epoch {epoch + 1}: loss {loss.item():.4f}", file=sys.stderr)
    m.eval()
    with torch.no_grad():
        p = torch.cat([F.softmax(m(xte[i:i + 1000]), 1) for i in range(0, len(yte), 1000)])
    hit = (p.argmax(1) == yte).float()
    sq = (p ** 2).sum(1)
    conf = torch.zeros(10, 10, dtype=torch.long)
    for t, q in zip(yte.tolist(), p.argmax(1).tolist()):
        conf[t, q] += 1
    off = [(int(conf[t, q]), t, q) for t in range(10) for q in range(10) if t != q]
    print(json.dumps({
        "epochs": epochs, "seed": seed,
        "map_acc": round(hit.mean().item(), 4), "sample_acc": round(sq.mean().item(), 4),
        "map_acc_first1000": round(hit[:1000].mean().item(), 4),
        "sample_acc_first1000": round(sq[:1000].mean().item(), 4),
        "top_confusions": [f"{t}->{q}: {n}" for n, t, q in sorted(off, reverse=True)[:5]],
    }))


if __name__ == "__main__":
    main()
