"""A trained L3C model as ONNX graphs: a float encoder and integer decoders (the command:
export.py).

Graphs (file names carry the first 16 hex digits of their SHA-256):
  encoder      x (1,3,H,W) float32 0..255  ->  z1, z2, z3 symbol indices (uint8)
  dec3         z3                           ->  f3 (uint8), z2 params (int32, NHWC)
  dec2         z2, f3                       ->  f2 (uint8), z1 params (int32, NHWC)
  dec1         z1, f2                       ->  f1 (uint8, H/2 x W/2)
  <stage>      features [, pix (uint8, 3p planes)] -> RGB params of one pixel stage (int32,
               NHWC); one graph per stage of stages.py (phase4: head0..3 on f1; pyramid:
               base on h3, l{level}p{p} on h{level})
Parameters are channels-last so that one symbol's K components are contiguous.
H and W are multiples of 8. The decoders are integer-only (see onnx_builder.py), so their
outputs, and hence every CDF, are identical in every runtime. A manifest.json lists the
files with their SHA-256; the model id stored in streams is the SHA-256 of the manifest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import TensorProto as T

from .fixed_point import rgb_param_format, z_input_scale, z_param_format
from .manifest import sha256, write_manifest
from .model import L3C, MixtureHead, PhaseHead
from .onnx_builder import GraphBuilder
from .quant import ActQ, QConv
from .stages import PHASES, pixel_stages

DYN = ["N", "C", "H", "W"]


def _wq(conv: QConv) -> tuple[np.ndarray, np.ndarray]:
    """int8 weights and the per-output-channel accumulator scale."""
    with torch.no_grad():
        s = conv.weight_scales()  # (cout, parts)
        wq = []
        o = 0
        for p, n in enumerate(conv.in_splits):
            wq.append(torch.clamp(torch.round(conv.weight[:, o : o + n] / s[:, p].view(-1, 1, 1, 1)), -127, 127))
            o += n
        wq = torch.cat(wq, 1).to(torch.int64).numpy()
        s_in = conv.part_input_scales()
        acc = (s[:, 0] * s_in[0]).double().numpy()
    return wq, acc


class IntDecoderExporter:
    def __init__(self, model: L3C):
        self.m = model
        self.cfg = model.cfg

    def conv(self, g: GraphBuilder, x: str, x_zp: int, conv: QConv, in_scale: float | None, out, residual=None) -> str:
        """out: ActQ (uint8 activation) or ("params", mult, add) arrays per output channel.

        in_scale is only used for convs whose input quantizers are not wired."""
        wq, acc_s = _wq(conv)
        if conv.in_quants is None and in_scale is not None:
            acc_s = acc_s * in_scale
        bias = conv.bias.detach().double().numpy()
        bias_acc = np.round(bias / acc_s).astype(np.int64)
        k = conv.shifts()
        if k is not None:
            k = k.numpy().astype(np.int64)
            if isinstance(out, ActQ):
                return g.int_conv_pow2(x, x_zp, wq, bias_acc, k, np.zeros(len(k), np.int64), conv.dilation[0], "act",
                                       out_zp=128 if out.signed else 0, residual=residual)
            return g.int_conv_pow2(x, x_zp, wq, bias_acc, k, out[2], conv.dilation[0], "params")
        res64 = g.to_i64(residual) if residual is not None else None
        if isinstance(out, ActQ):
            ratio = acc_s / float(out.scale)
            return g.int_conv(x, x_zp, wq, bias_acc, ratio, np.zeros_like(ratio), conv.dilation[0], "act",
                              out_zp=128 if out.signed else 0, residual_i64=res64)
        _, mult, add = out
        return g.int_conv(x, x_zp, wq, bias_acc, acc_s * mult, add, conv.dilation[0], "params")

    def decoder(self, g: GraphBuilder, s: int, z: str, f_above: str | None) -> str:
        d = self.m.dec[s]
        rs = float(d.res_q.scale)
        res = f_above
        h0 = self.conv(g, z, (self.cfg.L - 1) // 2, d.conv_in, z_input_scale(self.cfg.L), d.res_q, res)
        h = h0
        for b in d.blocks:
            t = self.conv(g, h, 128, b.c1, rs, b.act_q)
            h = self.conv(g, t, 0, b.c2, float(b.act_q.scale), b.res_q, h)
        return self.conv(g, h, 128, d.after, rs, d.res_q, h0)

    def upsample(self, g: GraphBuilder, s: int, h: str) -> str:
        up = self.m.up[s]
        u = self.conv(g, h, 128, up.conv, float(self.m.dec[s].res_q.scale), up.out_q)
        return g.op("DepthToSpace", [u], "f", blocksize=2, mode="CRD")

    def mixture_head(self, g: GraphBuilder, head: MixtureHead, f: str, f_scale: float, mult, add) -> str:
        parts = [self.conv(g, f, 128, c, f_scale, head.act_q) for c in head.dil]
        cat = g.op("Concat", parts, "cat", axis=1)
        return self.conv(g, cat, 0, head.out, float(head.act_q.scale), ("params", mult, add))

    def z_param_map(self):
        mult, add = z_param_format(self.cfg.C, self.cfg.K, self.cfg.L)
        return mult, np.round(add).astype(np.int64)

    def rgb_param_map(self):
        mult, add = rgb_param_format(self.cfg.K)
        return mult, np.round(add).astype(np.int64)

    def graphs(self) -> dict[str, onnx.ModelProto]:
        cfg = self.cfg
        if cfg.rgb_context not in ("phase4", "pyramid") or cfg.S != 3:
            raise ValueError("integer export supports rgb_context 'phase4' or 'pyramid' with S=3")
        pyramid = cfg.rgb_context == "pyramid"
        out = {}
        zmult, zadd = self.z_param_map()
        nz = 3 * cfg.C * cfg.K
        f_above = None
        for s in (2, 1, 0):
            g = GraphBuilder(f"dec{s + 1}")
            z = g.input(f"z{s + 1}", T.UINT8, [1, cfg.C, "h", "w"])
            fa = g.input(f"f{s + 2}", T.UINT8, [1, cfg.Cf, "h", "w"]) if s < 2 else None
            hdec = self.decoder(g, s, z, fa)
            if s > 0:
                f = self.upsample(g, s, hdec)
                g.output(f, f"f{s + 1}", T.UINT8, [1, cfg.Cf, "h2", "w2"])
                if s > self.m.z1_free():
                    fs = float(self.m.dec[s - 1].res_q.scale)
                    p = self.mixture_head(g, self.m.z_heads[s - 1], f, fs, zmult, zadd)
                    p = g.op("Transpose", [p], "nhwc", perm=[0, 2, 3, 1])
                    g.output(p, f"z{s}_params", T.INT32, [1, "h2", "w2", nz])
                if pyramid:
                    g.output(hdec, f"h{s + 1}", T.UINT8, [1, cfg.Cf, "h", "w"])
            else:
                g.output(hdec, "f1", T.UINT8, [1, cfg.Cf, "h", "w"])
            out[f"dec{s + 1}"] = g.model()
        for st in pixel_stages(cfg.rgb_context, cfg.S):
            out[st.role] = self.pixel_head(st.role, self.m.stage_head(st), st.level, st.phase, st.feature_input)
        return out

    def pixel_head(self, role: str, head: PhaseHead, level: int, p: int, fname: str) -> onnx.ModelProto:
        """Graph of one pixel head: features of D(level) [+ 3p pixel planes] -> RGB params (NHWC)."""
        cfg = self.cfg
        rmult, radd = self.rgb_param_map()
        fs = float(self.m.dec[level - 1].res_q.scale)
        g = GraphBuilder(role)
        f = g.input(fname, T.UINT8, [1, cfg.Cf, "h", "w"])
        x = f
        if p:
            pix = g.input("pix", T.UINT8, [1, 3 * p, "h", "w"])
            x = g.op("Concat", [f, pix], "cat", axis=1)
        t = self.conv(g, x, 128, head.c1, fs, head.q1)
        t = self.conv(g, t, 0, head.c2, float(head.q1.scale), head.q2)
        prm = self.conv(g, t, 0, head.out, float(head.q2.scale), ("params", rmult, radd))
        prm = g.op("Transpose", [prm], "nhwc", perm=[0, 2, 3, 1])
        g.output(prm, "params", T.INT32, [1, "h", "w", 12 * cfg.K])
        return g.model()


def encoder_graph(model: L3C) -> onnx.ModelProto:
    """Float encoder: x -> z symbol indices (uint8), built op by op (no exporter needed)."""
    cfg = model.cfg
    g = GraphBuilder("encoder")
    x = g.input("x", T.FLOAT, [1, 3, "H", "W"])

    def fconv(inp: str, conv: torch.nn.Conv2d) -> str:
        w = g.const(conv.weight.detach().float().numpy(), "fw")
        b = g.const(conv.bias.detach().float().numpy(), "fb")
        k = conv.kernel_size[0]
        p = conv.padding[0]
        return g.op("Conv", [inp, w, b], "fconv", kernel_shape=[k, k], pads=[p, p, p, p],
                    strides=list(conv.stride), dilations=list(conv.dilation))

    h = g.op("Div", [g.op("Sub", [x, g.const(np.array(127.5, np.float32))]), g.const(np.array(127.5, np.float32))])
    for s in range(cfg.S):
        e = model.enc[s]
        h = fconv(h, e.down)
        t = h
        for b in e.blocks:
            t = g.op("Add", [t, fconv(g.op("Relu", [fconv(t, b.c1)]), b.c2)])
        h = g.op("Add", [h, fconv(t, e.after)])
        z = g.op("Tanh", [fconv(h, e.to_z)])
        half = (cfg.L - 1) / 2.0
        idx = g.op("Round", [g.op("Mul", [g.op("Add", [z, g.const(np.array(1.0, np.float32))]),
                                           g.const(np.array(half, np.float32))])])
        idx = g.op("Clip", [idx, g.const(np.array(0.0, np.float32)), g.const(np.array(cfg.L - 1, np.float32))])
        g.output(g.op("Cast", [idx], "zidx", to=T.UINT8), f"z{s + 1}", T.UINT8, [1, cfg.C, "h", "w"])
    return g.model()


def export(model: L3C, out_dir: Path, name: str, extra: dict | None = None) -> dict:
    """Write graphs + manifest.json under out_dir/name; returns the manifest (with 'id')."""
    model = model.eval()
    graphs = {"encoder": encoder_graph(model), **IntDecoderExporter(model).graphs()}
    d = out_dir / name
    d.mkdir(parents=True, exist_ok=True)
    for old in d.glob("*.onnx"):
        old.unlink()
    files = {}
    for role, g in graphs.items():
        b = g.SerializeToString()
        h = sha256(b)
        fname = f"{role}-{h[:16]}.onnx"
        (d / fname).write_bytes(b)
        files[role] = {"file": fname, "sha256": h, "bytes": len(b)}
    cfg = model.cfg
    manifest = {
        "format": "l3c-model/1",
        "name": name,
        "architecture": f"l3c-{cfg.rgb_context}",
        "config": cfg.to_dict(),
        "mixture": {"rgb_params": "NHWC; last axis [logits, means, log_scales, coefs] x [R, G, B] x K",
                    "z_params": "NHWC; last axis [logits, means, log_scales] x C x K",
                    "phases": [list(p) for p in PHASES],
                    "pixel_order": ("base (x[::8, ::8] from h3), then phases 1..3 of levels 3, 2, 1"
                                    if cfg.rgb_context == "pyramid" else "phases 0..3 of x")},
        "files": files,
        **(extra or {}),
    }
    manifest["id"] = write_manifest(d, manifest)
    return manifest
