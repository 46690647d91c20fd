#!/usr/bin/env python3
"""PyTorch peer of tinct's chroma network for `tinct bench ml`.

The same U-Net as src/ml/net.rs (same layers, widths, names, bilinear upsampling, residual
chroma head), the same Adam update and L1 loss, and the same inference pipeline as
src/ml/tiles.rs (linear RGB -> Y'CbCr on sRGB-encoded values, clamp, pad to 16, network,
source luma + predicted chroma, back to linear). Prints one JSON object.
"""
import argparse
import json
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

KR, KG, KB = 0.2126, 0.7152, 0.0722
CB, CR = 1.8556, 1.5748


def srgb_encode(l):
    a = l.abs()
    e = torch.where(a > 0.0031308, 1.055 * a.clamp_min(1e-12) ** (1 / 2.4) - 0.055, 12.92 * a)
    return e * l.sign()


def srgb_decode(e):
    a = e.abs()
    l = torch.where(a > 0.04045, ((a + 0.055) / 1.055) ** 2.4, a / 12.92)
    return l * e.sign()


def rgb_to_ycc(rgb):
    e = srgb_encode(rgb)
    r, g, b = e[:, 0:1], e[:, 1:2], e[:, 2:3]
    y = KR * r + KG * g + KB * b
    return torch.cat([y, (b - y) / CB, (r - y) / CR], 1)


def ycc_to_rgb(ycc):
    y, cb, cr = ycc[:, 0:1], ycc[:, 1:2], ycc[:, 2:3]
    r = y + CR * cr
    b = y + CB * cb
    g = (y - KR * r - KB * b) / KG
    return srgb_decode(torch.cat([r, g, b], 1))


def clamp_ycc(x):
    return torch.cat([x[:, 0:1].clamp(0, 1), x[:, 1:3].clamp(-0.5, 0.5)], 1)


class ChromaNet(nn.Module):
    WIDTHS = {"small": 16, "medium": 32, "large": 48}

    def __init__(self, size):
        super().__init__()
        c = self.WIDTHS[size]
        h = c // 2

        def conv(i, o, s=1):
            return nn.Conv2d(i, o, 3, stride=s, padding=1)

        # Y'CbCr, the frame positions u, v (src/ml/net.rs `positions`), the prior's Cb/Cr.
        self.e0 = conv(7, h)
        self.e1a, self.e1b = conv(h, c, 2), conv(c, c)
        self.e2a, self.e2b = conv(c, 2 * c, 2), conv(2 * c, 2 * c)
        self.e3a, self.e3b = conv(2 * c, 4 * c, 2), conv(4 * c, 4 * c)
        self.bna, self.bnb = conv(4 * c, 4 * c, 2), conv(4 * c, 4 * c)
        self.d3, self.d2 = conv(8 * c, 2 * c), conv(4 * c, c)
        self.d1, self.d0 = conv(2 * c, h), conv(2 * h, h)
        self.head = nn.Conv2d(h, 2, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)
        # The grade prior of src/ml/prior.rs: a frozen [1, 2, n, n, n] Cb/Cr table over R'G'B'
        # (identity, n = 2: the input's own chroma), looked up trilinearly.
        n = 2
        t = torch.linspace(0, 1, n)
        b, g, r = torch.meshgrid(t, t, t, indexing="ij")
        y = KR * r + KG * g + KB * b
        self.register_buffer("prior_lut", torch.stack([(b - y) / CB, (r - y) / CR]).unsqueeze(0))

    def forward(self, x):
        up = lambda t, like: F.interpolate(t, size=like.shape[2:], mode="bilinear", align_corners=False)
        n, _, hh, ww = x.shape
        ax = lambda k: (torch.arange(k, device=x.device, dtype=x.dtype) + 0.5) * (2.0 / k) - 1.0
        u = ax(ww).view(1, 1, 1, ww).expand(n, 1, hh, ww)
        v = ax(hh).view(1, 1, hh, 1).expand(n, 1, hh, ww)
        x = torch.cat([x[:, 0:3], u, v], 1)
        base = self.prior(x)
        e0 = F.relu(self.e0(torch.cat([x, base], 1)))
        e1 = F.relu(self.e1b(F.relu(self.e1a(e0))))
        e2 = F.relu(self.e2b(F.relu(self.e2a(e1))))
        e3 = F.relu(self.e3b(F.relu(self.e3a(e2))))
        b = F.relu(self.bnb(F.relu(self.bna(e3))))
        d = F.relu(self.d3(torch.cat([up(b, e3), e3], 1)))
        d = F.relu(self.d2(torch.cat([up(d, e2), e2], 1)))
        d = F.relu(self.d1(torch.cat([up(d, e1), e1], 1)))
        d = F.relu(self.d0(torch.cat([up(d, e0), e0], 1)))
        return base + self.head(d)

    def prior(self, x):
        y, cb, cr = x[:, 0:1], x[:, 1:2], x[:, 2:3]
        r = y + CR * cr
        b = y + CB * cb
        g = (y - KR * r - KB * b) / KG
        grid = (torch.cat([r, g, b], 1).clamp(0, 1) * 2 - 1).permute(0, 2, 3, 1).unsqueeze(1)
        table = self.prior_lut.expand(x.shape[0], -1, -1, -1, -1)
        return F.grid_sample(table, grid, mode="bilinear", padding_mode="border", align_corners=True).squeeze(2)


class Adam:
    """The same update as src/ml/adam.rs (plain per-tensor Adam)."""

    def __init__(self, params, b1=0.9, b2=0.999, eps=1e-8):
        self.p = [p for p in params]
        self.m = [torch.zeros_like(p) for p in self.p]
        self.v = [torch.zeros_like(p) for p in self.p]
        self.b1, self.b2, self.eps, self.t = b1, b2, eps, 0

    @torch.no_grad()
    def step(self, lr):
        self.t += 1
        bc1, bc2 = 1 - self.b1 ** self.t, 1 - self.b2 ** self.t
        for p, m, v in zip(self.p, self.m, self.v):
            if p.grad is None:
                continue
            g = p.grad
            m.mul_(self.b1).add_(g * (1 - self.b1))
            v.mul_(self.b2).add_(g * g * (1 - self.b2))
            p.sub_((m / ((v / bc2).sqrt() + self.eps)) * (lr / bc1))

    def zero_grad(self):
        for p in self.p:
            p.grad = None


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def colorize(net, img, dev):
    h, w, _ = img.shape
    rgb = torch.from_numpy(img).to(dev).permute(2, 0, 1).unsqueeze(0).contiguous()
    ycc = rgb_to_ycc(rgb)
    ph, pw = (-h) % 16, (-w) % 16
    x = clamp_ycc(ycc)
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    with torch.no_grad():
        chroma = net(x)[:, :, :h, :w]
    out = ycc_to_rgb(torch.cat([ycc[:, 0:1], chroma], 1))
    return out.squeeze(0).permute(1, 2, 0).cpu().contiguous().numpy()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="medium")
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--crop", type=int, default=256)
    ap.add_argument("--train-steps", type=int, default=5)
    ap.add_argument("--infer-frames", type=int, default=2)
    ap.add_argument("--width", type=int, default=2048)
    ap.add_argument("--height", type=int, default=1080)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    dev = torch.device(a.device)
    torch.manual_seed(0)
    net = ChromaNet(a.model).to(dev)
    params = sum(p.numel() for p in net.parameters())

    opt = Adam(net.parameters())
    x = torch.rand(a.batch, 3, a.crop, a.crop, device=dev)
    y = torch.rand(a.batch, 2, a.crop, a.crop, device=dev) - 0.5

    def train_step():
        opt.zero_grad()
        loss = (net(x) - y).abs().mean()
        loss.backward()
        opt.step(1e-4)
        return loss

    for _ in range(2):
        train_step()
    sync(dev)
    t = time.perf_counter()
    for _ in range(a.train_steps):
        loss = train_step()
    loss.item()
    sync(dev)
    train_ips = a.train_steps * a.batch / (time.perf_counter() - t)

    net.eval()
    img = np.random.default_rng(0).random((a.height, a.width, 3), dtype=np.float32)
    colorize(net, img, dev)
    sync(dev)
    t = time.perf_counter()
    for _ in range(a.infer_frames):
        colorize(net, img, dev)
    sync(dev)
    infer_fps = a.infer_frames / (time.perf_counter() - t)
    print(json.dumps({"params": params, "train_images_per_s": train_ips, "infer_frames_per_s": infer_fps,
                      "threads": torch.get_num_threads(), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
