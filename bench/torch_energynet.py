"""The original project's EnergyNet in PyTorch, and safetensors files of it.

Usage (bench/torch_roundtrip_test.go drives it):
  torch_energynet.py load MODEL.safetensors INPUTS.f32 ARCH_JSON
      builds EnergyNet for ARCH, load_state_dict(strict=True) from MODEL,
      prints log p(x) = logsumexp f(x) of each input as JSON
  torch_energynet.py save MODEL.safetensors INPUTS.f32 ARCH_JSON SEED
      builds EnergyNet for ARCH with PyTorch's own initialisation (SEED),
      writes its state_dict to MODEL, prints log p(x) of each input

ARCH_JSON: {"shape": [H, W, C], "convs": [[channels, k, stride, pad], ...],
"sizes": [in, hidden..., classes]}. INPUTS.f32: little-endian float32
images, each H*W*C values in ebm's order (channels last).
The safetensors format is read and written here by hand (header length,
JSON header, raw data), so no package beyond torch and numpy is needed.
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn


class EnergyNet(nn.Module):
    def __init__(self, arch):
        super().__init__()
        self.shape = arch["shape"]
        layers = []
        c = self.shape[2]
        for ch, k, s, p in arch.get("convs") or []:
            layers += [nn.Conv2d(c, ch, k, s, p), nn.ELU()]
            c = ch
        if arch.get("convs"):
            layers.append(nn.Flatten())
        sizes = arch["sizes"]
        for i in range(len(sizes) - 1):
            layers.append(nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                layers.append(nn.ELU())
        self.net = nn.Sequential(*layers)
        self.convolutional = bool(arch.get("convs"))

    def forward(self, x):
        if self.convolutional:
            h, w, c = self.shape
            x = x.view(-1, h, w, c).permute(0, 3, 1, 2)  # ebm's channels last -> PyTorch's first
        return self.net(x)


def read_safetensors(path):
    with open(path, "rb") as f:
        b = f.read()
    (n,) = struct.unpack("<Q", b[:8])
    header = json.loads(b[8:8 + n])
    data = b[8 + n:]
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", e
        lo, hi = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[lo:hi], dtype="<f4").copy().reshape(e["shape"]))
    return out


def write_safetensors(path, tensors):
    header, chunks, off = {}, [], 0
    for name, t in tensors.items():
        a = t.detach().contiguous().numpy().astype("<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        chunks.append(a.tobytes())
        off += a.nbytes
    js = json.dumps(header).encode()
    js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + b"".join(chunks))


def main():
    mode, model, inputs, arch = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
    torch.set_default_dtype(torch.float64)
    net = EnergyNet(arch)
    if mode == "load":
        state = {k: v.double() for k, v in read_safetensors(model).items()}
        net.load_state_dict(state, strict=True)
    else:
        torch.manual_seed(int(sys.argv[5]))
        net = EnergyNet(arch).float()
        write_safetensors(model, net.state_dict())
        net = net.double()
    x = torch.from_numpy(np.fromfile(inputs, dtype="<f4").astype(np.float64))
    h, w, c = arch["shape"]
    with torch.no_grad():
        logpx = torch.logsumexp(net(x.view(-1, h * w * c)), dim=1)
    print(json.dumps({"torch": torch.__version__, "logpx": logpx.tolist()}))


if __name__ == "__main__":
    main()
