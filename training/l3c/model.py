"""The L3C model (Mentzer et al., CVPR 2019) with an optional pixel-context RGB head.

Scales s = 1..S. E(s) maps z(s-1) -> z(s) (z(0) = x), halving the resolution and
quantizing C channels to L levels in [-1, 1]. D(s) maps z(s) (plus the features f(s+1)
of the scale above) to features f(s) at the resolution of z(s-1) and to the mixture
parameters of p(z(s-1) | f(s)); z(S) is uniform. At the RGB scale the model is either

* ``rgb_context="none"``: L3C as published: p(x | f(1)) from a dilated-conv head at full
  resolution, one network pass per scale;
* ``rgb_context="phase4"``: x is split into its four 2x2 polyphase components, coded in
  the order (0,0), (1,1), (0,1), (1,0); the head of phase p sees f(1) and the pixels of
  phases < p. Four light passes at half resolution replace the full-resolution head.
* ``rgb_context="pyramid"``: the polyphase split applied at every scale: x3 = x[::8, ::8]
  is coded from D(3)'s features, then the three other phases of x2 = x[::4, ::4] (from
  D(3)'s features and x3), of x1 = x[::2, ::2] (from D(2)) and of x (from D(1)). Only
  1/64 of the pixels are coded without neighbouring pixels; 10 light passes in all.

The pixel stages of phase4 and pyramid, in coding order, are stages.py's; the fixed-point
formats at the integer decoder's boundary are fixed_point.py's.

Only the decoder side (D(s) and heads) must be bit-exact; see l3c/qat.py for the integer
version. Activation quantization points are `ActQ` modules (identity until QAT is on).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from . import mixture
from .fixed_point import PIXEL_SCALE, RGB_HALF, rgb_param_format, z_half, z_input_scale, z_param_format
from .quant import ActQ, QConv
from .stages import Stage, pixel_stages


# the config's z1: "coded", or "none" (see ModelConfig)
Z1_FORMS = ("coded", "none")


@dataclass
class ModelConfig:
    Cf: int = 64  # feature channels
    B: int = 8  # residual blocks per E(s) and D(s)
    C: int = 5  # bottleneck channels
    L: int = 25  # quantization levels
    K: int = 10  # logistics per mixture
    S: int = 3  # scales
    rgb_context: str = "none"  # "none" (L3C), "phase4" or "pyramid" (stages.py)
    head_ch: int = 0  # phase-head width (0: Cf)
    # "coded", or "none": z(1) is not in the stream and D(1) sees the middle level (value 0)
    # everywhere, so the decoder runs no z(1) prior (the pyramid's D(2) graph halves)
    z1: str = "coded"

    def to_dict(self) -> dict:
        """The config as manifests and checkpoints hold it: z1 only when not "coded" (so that
        the manifests, hence the ids, of models that code z(1) stay what they were)."""
        d = asdict(self)
        if d["z1"] == "coded":
            del d["z1"]
        return d


def fp32_out(conv: nn.Module, h: torch.Tensor) -> torch.Tensor:
    """Mixture parameters in float32 even under bf16 autocast: a bf16 mean is only good
    to about half a pixel, which caps the achievable bpsp."""
    with torch.autocast(device_type=h.device.type, enabled=False):
        return conv(h.float())


class ResBlock(nn.Module):
    def __init__(self, cf: int, act_q: ActQ, res_q: ActQ):
        super().__init__()
        self.c1 = QConv(cf, cf, 3)
        self.c2 = QConv(cf, cf, 3)
        self.act_q = act_q
        self.res_q = res_q

    def forward(self, x):
        return self.res_q(x + self.c2(self.act_q(F.relu(self.c1(x)))))


class Quantizer(nn.Module):
    """Soft-to-hard scalar quantizer: hard rounding forward, soft assignment backward."""

    def __init__(self, levels: int, sigma: float = 2.0):
        super().__init__()
        self.register_buffer("centers", torch.linspace(-1.0, 1.0, levels), persistent=False)
        self.sigma = sigma
        self.levels = levels

    def forward(self, z):
        d = (z.unsqueeze(-1) - self.centers) ** 2
        soft = (F.softmax(-self.sigma * d, dim=-1) * self.centers).sum(-1)
        idx = d.argmin(-1)
        hard = self.centers[idx]
        return soft + (hard - soft).detach(), idx


class Encoder(nn.Module):
    def __init__(self, cin: int, cfg: ModelConfig):
        super().__init__()
        cf = cfg.Cf
        self.down = nn.Conv2d(cin, cf, 5, stride=2, padding=2)
        self.blocks = nn.Sequential(*[ResBlock(cf, ActQ(), ActQ()) for _ in range(cfg.B)])
        self.after = nn.Conv2d(cf, cf, 3, padding=1)
        self.to_z = nn.Conv2d(cf, cfg.C, 1)
        # Start with a constant z (all symbols at the middle level, ~0 bits): the decoder
        # first learns to predict from context and the encoder grows z where it pays.
        nn.init.zeros_(self.to_z.weight)
        nn.init.zeros_(self.to_z.bias)

    def forward(self, x):
        h = self.down(x)
        h = h + self.after(self.blocks(h))
        return h, torch.tanh(self.to_z(h))


class MixtureHead(nn.Module):
    """Dilated convs (rates 1, 2, 4) -> 1x1 conv -> mixture parameters."""

    def __init__(self, cf: int, nout: int):
        super().__init__()
        self.dil = nn.ModuleList([QConv(cf, cf // 2, 3, dilation=d) for d in (1, 2, 4)])
        self.act_q = ActQ()
        self.out = QConv(3 * (cf // 2), nout, 1)

    def forward(self, f):
        h = torch.cat([self.act_q(F.relu(c(f))) for c in self.dil], dim=1)
        return fp32_out(self.out, h)


class PhaseHead(nn.Module):
    """Head for one polyphase component: f(1) plus the pixels of earlier phases."""

    def __init__(self, cf: int, npix: int, hc: int, nout: int):
        super().__init__()
        splits = (cf, npix) if npix else (cf,)
        self.c1 = QConv(cf + npix, hc, 3, in_splits=splits)
        self.q1 = ActQ()
        self.c2 = QConv(hc, hc, 3)
        self.q2 = ActQ()
        self.out = QConv(hc, nout, 1)

    def forward(self, f, pix):
        h = f if pix is None else torch.cat([f, pix], dim=1)
        h = self.q1(F.relu(self.c1(h)))
        h = self.q2(F.relu(self.c2(h)))
        return fp32_out(self.out, h)


class Decoder(nn.Module):
    """D(s): z(s) (+ f(s+1)) -> features at the resolution of z(s) (before upsampling)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        cf = cfg.Cf
        self.res_q = ActQ(signed=True)
        self.conv_in = QConv(cfg.C, cf, 3)
        self.blocks = nn.ModuleList([ResBlock(cf, ActQ(), self.res_q) for _ in range(cfg.B)])
        self.after = QConv(cf, cf, 3)

    def forward(self, z, f_above):
        h = self.conv_in(z)
        if f_above is not None:
            h = h + f_above
        h0 = self.res_q(h)
        h = h0
        for b in self.blocks:
            h = b(h)
        return self.res_q(h0 + self.after(h))


class Upsampler(nn.Module):
    def __init__(self, cf: int, out_q: ActQ):
        super().__init__()
        self.conv = QConv(cf, 4 * cf, 3)
        self.out_q = out_q

    def forward(self, h):
        return self.out_q(F.pixel_shuffle(self.conv(h), 2))


def n_params_z(cfg: ModelConfig) -> int:
    return cfg.C * cfg.K * 3  # logits, means, log-scales per channel


def n_params_rgb(cfg: ModelConfig) -> int:
    return 3 * cfg.K * 4  # logits, means, log-scales, coefficients per channel


def init_mixture_out(conv: nn.Conv2d, n_kinds: int, ls_kind: int, ls_init: float) -> None:
    """Small output weights; log-scale biases at `ls_init` (broad start, stable early loss)."""
    with torch.no_grad():
        conv.weight.mul_(0.1)
        conv.bias.zero_()
        per = conv.out_channels // n_kinds
        conv.bias[ls_kind * per : (ls_kind + 1) * per] = ls_init


class L3C(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        if cfg.rgb_context not in ("none", "phase4", "pyramid"):
            raise ValueError(f"rgb_context must be 'none', 'phase4' or 'pyramid', got {cfg.rgb_context!r}")
        if cfg.z1 not in Z1_FORMS:
            raise ValueError(f"z1 must be one of {Z1_FORMS}, got {cfg.z1!r}")
        self.cfg = cfg
        self.z1_mode = False  # training/evaluation policy, not part of the config (decode_all)
        cf = cfg.Cf
        self.quantizer = Quantizer(cfg.L)
        self.enc = nn.ModuleList([Encoder(3 if s == 0 else cf, cfg) for s in range(cfg.S)])
        # dec[s] is D(s+1); dec[S-1] is the top decoder.
        self.dec = nn.ModuleList([Decoder(cfg) for _ in range(cfg.S)])
        # up[s] upsamples D(s+1)'s features; its output joins D(s)'s residual stream.
        ups = []
        for s in range(cfg.S):
            if s == 0:
                ups.append(Upsampler(cf, ActQ(signed=True)) if cfg.rgb_context == "none" else nn.Identity())
            else:
                ups.append(Upsampler(cf, self.dec[s - 1].res_q))
        self.up = nn.ModuleList(ups)
        self.z_heads = nn.ModuleList([MixtureHead(cf, n_params_z(cfg)) for _ in range(cfg.S - 1)])
        for h in self.z_heads:
            init_mixture_out(h.out, 3, 2, 0.0)
        if cfg.rgb_context == "none":
            self.rgb_head = MixtureHead(cf, n_params_rgb(cfg))
            init_mixture_out(self.rgb_head.out, 4, 2, 3.5)
        else:
            hc = cfg.head_ch or cf
            stages = pixel_stages(cfg.rgb_context, cfg.S)
            self.pix_q = ActQ(signed=True, fixed_scale=PIXEL_SCALE)

            def head(st: Stage) -> PhaseHead:
                return PhaseHead(cf, 3 * st.phase, hc, 3 * 4 * cfg.K)

            if cfg.rgb_context == "pyramid":
                self.base_head = head(stages[0])
                # Built from the finest level up (not in coding order): the random
                # initialization and the parameter order of trained models depend on it.
                self.level_heads = nn.ModuleDict(
                    {st.role: head(st) for st in sorted(stages[1:], key=lambda st: (st.level, st.phase))}
                )
            else:
                self.phase_heads = nn.ModuleList([head(st) for st in stages])
            for st in stages:
                init_mixture_out(self.stage_head(st).out, 4, 2, 3.5)
        self._wire_quantizers()

    def z1_free(self) -> int:
        """1 when z(1) is not coded (config z1 "none"; its prior head is then unused), else 0."""
        return int(self.cfg.z1 == "none")

    def stage_head(self, st: Stage) -> PhaseHead:
        """The head of a pixel stage (stages.py)."""
        if self.cfg.rgb_context == "phase4":
            return self.phase_heads[st.phase]
        return self.base_head if st.role == "base" else self.level_heads[st.role]

    def _wire_quantizers(self) -> None:
        """Tell every decoder-side conv which quantizers feed it and which it feeds
        (power-of-two requantization, see quant.QConv)."""
        cfg = self.cfg
        z_scale = z_input_scale(cfg.L)
        for s, d in enumerate(self.dec):
            d.conv_in.wire([z_scale], d.res_q)
            for b in d.blocks:
                b.c1.wire([d.res_q], b.act_q)
                b.c2.wire([b.act_q], d.res_q)
            d.after.wire([d.res_q], d.res_q)
            up = self.up[s]
            if isinstance(up, Upsampler):
                up.conv.wire([d.res_q], up.out_q)
        # Output scales: one integer step of each parameter's fixed-point format.
        z_out = torch.tensor(1.0 / z_param_format(cfg.C, cfg.K, cfg.L)[0], dtype=torch.float64)
        rgb_out = torch.tensor(1.0 / rgb_param_format(cfg.K)[0], dtype=torch.float64)

        def wire_head(head: MixtureHead, f_q: ActQ, out_scales: torch.Tensor) -> None:
            for c in head.dil:
                c.wire([f_q], head.act_q)
            head.out.wire([head.act_q], out_scales)

        for s in range(1, cfg.S):
            wire_head(self.z_heads[s - 1], self.up[s].out_q, z_out)
        if cfg.rgb_context == "none":
            wire_head(self.rgb_head, self.up[0].out_q, rgb_out)
        for st in pixel_stages(cfg.rgb_context, cfg.S):
            h = self.stage_head(st)
            f_q = self.dec[st.level - 1].res_q
            h.c1.wire([f_q, self.pix_q] if st.phase else [f_q], h.q1)
            h.c2.wire([h.q1], h.q2)
            h.out.wire([h.q2], rgb_out)

    # -- parameter layout -------------------------------------------------------------
    def split_z(self, p: torch.Tensor):
        """(B, C*K*3, H, W) -> logits, means (level units), log-scales, each (B, C, K, H, W)."""
        b, _, h, w = p.shape
        c, k = self.cfg.C, self.cfg.K
        p = p.float().view(b, 3, c, k, h, w)
        half = z_half(self.cfg.L)
        return p[:, 0], p[:, 1] * half + half, p[:, 2]

    @staticmethod
    def split_rgb(p: torch.Tensor, k: int):
        """(B, 3*K*4, H, W) -> logits, means (pixel units), log-scales, coefs (B, 3, K, H, W)."""
        b, _, h, w = p.shape
        p = p.float().view(b, 4, 3, k, h, w)
        return p[:, 0], p[:, 1] * RGB_HALF + RGB_HALF, p[:, 2], p[:, 3]

    # -- forward ----------------------------------------------------------------------
    def encode(self, x: torch.Tensor):
        """x: (B, 3, H, W) float pixel values 0..255, H and W multiples of 2^S."""
        h = (x - 127.5) / 127.5
        zs, idxs = [], []
        for s in range(self.cfg.S):
            h, zc = self.enc[s](h)
            zq, idx = self.quantizer(zc)
            zs.append(zq)
            idxs.append(idx)
        return zs, idxs

    @torch.no_grad()
    def z_mode(self, s: int, f: torch.Tensor) -> torch.Tensor:
        """The most probable z(s) (level values in [-1, 1]) under p(z(s) | f(s+1))."""
        cfg = self.cfg
        logits, means, ls = self.split_z(self.z_heads[s - 1](f))
        w = F.softmax(logits, dim=2)
        inv_s = torch.exp(-ls.clamp(mixture.LOG_SCALE_MIN, mixture.LOG_SCALE_MAX))
        # p(level v) = sum_k w_k (sigma((v + 0.5 - mu_k) / s_k) - sigma((v - 0.5 - mu_k) / s_k)),
        # the edge levels taking the tails; the running argmax keeps memory at one level.
        best = idx = None
        below = torch.zeros_like(means)
        for v in range(cfg.L):
            above = torch.sigmoid(inv_s * (v + 0.5 - means)) if v < cfg.L - 1 else torch.ones_like(means)
            p = (w * (above - below)).sum(dim=2)
            if best is None:
                best, idx = p, torch.zeros_like(p, dtype=torch.long)
            else:
                better = p > best
                best = torch.where(better, p, best)
                idx = torch.where(better, torch.full_like(idx, v), idx)
            below = above
        return idx.float() / z_half(cfg.L) - 1.0

    def decode_all(self, zs):
        """Run D(S)..D(1). Returns (feats, hs): feats[s] = f(s+1) (upsampled; feeds D(s) and
        p(z(s))), hs[s] = D(s+1)'s output at the resolution of z(s+1) (pyramid pixel heads).

        With `self.z1_mode` (the codec's encoder policy of adaptive models: z(1) sent as
        the mode of its prior), zs[0] is replaced in place by that mode before D(1) runs,
        so that callers measure and train what the codec sends."""
        feats = [None] * self.cfg.S
        hs = [None] * self.cfg.S
        f_above = None
        for s in reversed(range(self.cfg.S)):
            if s == 0 and self.cfg.z1 == "none":
                zs[0] = torch.full_like(zs[0], ((self.cfg.L - 1) // 2) / z_half(self.cfg.L) - 1.0)
            elif s == 0 and self.z1_mode and self.cfg.S > 1:
                zs[0] = self.z_mode(1, feats[1]).to(zs[0].dtype)
            h = self.dec[s](zs[s], f_above)
            hs[s] = h
            f = self.up[s](h)
            feats[s] = f
            f_above = f
        return feats, hs

    def forward(self, x: torch.Tensor):
        """Returns (bits_x, bits_z) summed per image, each of shape (B,)."""
        cfg = self.cfg
        zs, _ = self.encode(x)
        feats, hs = self.decode_all(zs)
        bits_z = torch.zeros(x.shape[0], device=x.device)
        # z(S) uniform
        zS = zs[-1]
        bits_z = bits_z + zS[0].numel() * math.log2(cfg.L)
        for s in range(1 + self.z1_free(), cfg.S):
            logits, means, ls = self.split_z(self.z_heads[s - 1](feats[s]))
            v = (zs[s - 1].float() + 1.0) * z_half(cfg.L)
            lp = mixture.log_prob(v, logits, means, ls, cfg.L)
            bits_z = bits_z - lp.sum(dim=(1, 2, 3)) / mixture.LN2
        bits_x = -self.rgb_log_prob(x, feats[0], hs).sum(dim=(1, 2, 3)) / mixture.LN2
        return bits_x, bits_z

    def _head_lp(self, head, f, pix: list, xp: torch.Tensor) -> torch.Tensor:
        ctx = torch.cat(pix, dim=1) if pix else None
        logits, means, ls, coefs = self.split_rgb(head(f, ctx), self.cfg.K)
        means = mixture.rgb_means(means, coefs, xp)
        return mixture.log_prob(xp, logits, means, ls, 256)

    def _pix(self, xp: torch.Tensor) -> torch.Tensor:
        return self.pix_q((xp - 128.0) / 128.0)

    def rgb_log_prob(self, x, f1, hs=None):
        """log p of every sub-pixel, as a (B, 3, H, W) map (padding included)."""
        if self.cfg.rgb_context == "none":
            logits, means, ls, coefs = self.split_rgb(self.rgb_head(f1), self.cfg.K)
            means = mixture.rgb_means(means, coefs, x)
            return mixture.log_prob(x, logits, means, ls, 256)
        out = x.new_zeros(x.shape, dtype=torch.float32)
        phase4 = self.cfg.rgb_context == "phase4"
        # pix: the quantized pixels the next stage sees (stages.py). A stage's own pixels
        # join it once coded; a pyramid level starts from its phase-0 pixels, which the
        # coarser stages coded (the base stage's pixels reach level S that way).
        pix: list[torch.Tensor] = []
        for st in pixel_stages(self.cfg.rgb_context, self.cfg.S):
            if st.opens_level:
                pix = [self._pix(x[:, :, :: st.step, :: st.step])]
            xp = x[:, :, st.oy :: st.step, st.ox :: st.step]
            f = f1 if phase4 else hs[st.level - 1]
            out[:, :, st.oy :: st.step, st.ox :: st.step] = self._head_lp(self.stage_head(st), f, pix, xp)
            if phase4 or st.phase:
                pix.append(self._pix(xp))
        return out
