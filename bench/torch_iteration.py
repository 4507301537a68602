#!/usr/bin/env python3
"""Times the original configuration's training iteration in PyTorch (CPU).

Usage: torch_iteration.py THREADS [CONVS [HIDDEN]], CONVS and HIDDEN as
`ebm bench --convs --hidden` take them (32c4s2p1,64c4s2p1 and 512,512).

The same work as `ebm bench`: by default the MLP 784-512-512-512-10 with ELU
(or the convolutions and hidden layers given, ELU after each), batch 64,
50 Langevin steps from uniform noise (alpha 0.5, sigma 0.05) on
E(x) = -logsumexp f(x), then the hybrid loss on real and sampled images
and one Adam step. Two loops are timed: the original script's style (one
autograd graph per step, model in train mode, parameters requiring grad
during sampling) and a tuned one (parameters frozen while sampling,
torch.autograd.grad only for x). Prints one JSON object.
"""
import json
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)

# Debian's PyTorch runs its float32 products on the libblas.so.3
# alternative: the reference BLAS, some 30x slower than OpenBLAS, unless
# libopenblas0-pthread is installed. A comparison against that is no
# comparison.
torch.ones(2, 2) @ torch.ones(2, 2)
with open("/proc/self/maps") as maps:
    BLAS = sorted({l.split()[-1] for l in maps if "/libblas.so" in l})
if BLAS and not all("openblas" in lib for lib in BLAS):
    sys.exit(f"torch_iteration.py: PyTorch runs on {BLAS}, not OpenBLAS: apt-get install libopenblas0-pthread")
CONVS = sys.argv[2] if len(sys.argv) > 2 else ""
HIDDEN = sys.argv[3] if len(sys.argv) > 3 else ("512,512,512" if not CONVS else "")
torch.manual_seed(0)
B, K, ALPHA, SIGMA = 64, 50, 0.5, 0.05


def mlp():
    """The network of CONVS and HIDDEN on 28x28 grey images (a flat 784-vector in, 10 logits out)."""
    layers, c, side = [nn.Unflatten(1, (1, 28, 28))] if CONVS else [], 1, 28
    for spec in filter(None, CONVS.split(",")):
        ch, k, s, p = map(int, re.fullmatch(r"(\d+)c(\d+)s(\d+)p(\d+)", spec).groups())
        layers += [nn.Conv2d(c, ch, k, s, p), nn.ELU()]
        c, side = ch, (side + 2 * p - k) // s + 1
    if CONVS:
        layers.append(nn.Flatten())
    width = c * side * side
    for h in [int(v) for v in filter(None, HIDDEN.split(","))]:
        layers += [nn.Linear(width, h), nn.ELU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, 10))


def energy(model, x):
    return -torch.logsumexp(model(x), dim=1)


def sample_original(model):
    x = torch.rand(B, 784) * 2 - 1
    for _ in range(K):
        x = x.detach().requires_grad_(True)
        e = energy(model, x).sum()
        e.backward()
        x = x - ALPHA * x.grad + SIGMA * torch.randn_like(x)
    model.zero_grad()
    return x.detach()


def sample_tuned(model):
    for p in model.parameters():
        p.requires_grad_(False)
    x = torch.rand(B, 784) * 2 - 1
    for _ in range(K):
        x.requires_grad_(True)
        (g,) = torch.autograd.grad(energy(model, x).sum(), x)
        with torch.no_grad():
            x = x - ALPHA * g + SIGMA * torch.randn_like(x)
    for p in model.parameters():
        p.requires_grad_(True)
    return x


def step(model, opt, sampler, xr, y):
    xs = sampler(model)
    logits = model(torch.cat([xr, xs]))
    lr, ls = logits[:B], logits[B:]
    loss = F.cross_entropy(lr, y) - torch.logsumexp(lr, 1).mean() + torch.logsumexp(ls, 1).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()


def time_loop(sampler, iters=20, warmup=3):
    model = mlp()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    xr = torch.rand(B, 784) * 2 - 1
    y = torch.randint(0, 10, (B,))
    for _ in range(warmup):
        step(model, opt, sampler, xr, y)
    t0 = time.perf_counter()
    for _ in range(iters):
        step(model, opt, sampler, xr, y)
    return (time.perf_counter() - t0) * 1000 / iters


orig = time_loop(sample_original)
tuned = time_loop(sample_tuned)
print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(), "network": str(mlp()).replace("\n", " "),
                  "original_iter_ms": round(orig, 2), "tuned_iter_ms": round(tuned, 2)}))
