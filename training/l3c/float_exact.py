"""Float-exact forms of the integer decoder graphs: the command
`python -m l3c.float_exact <models/NAME>` (from training/).

A float32 graph whose values are all integers computes exactly what the integer graph
computes if every partial sum stays below 2^24 in magnitude: int8 x uint8 products are
exact, and a sum of integers below 2^24 is exact in any order, with or without FMA. So
the integer layer of onnx_builder.py

    Pad(x, zp) -> ConvInteger(., W, zp, wzp) [-> Mul P] [-> Add C1] [-> Div D] -> ...

becomes Sub(x, zp) [-> Pad channels] -> Conv(W' = (W - wzp) P, bias, pads) [-> Mul 1/D -> Floor -> Add q]
(input channels zero-padded to a multiple of 4, weights too: onnxruntime-web's WebGPU Conv
is wrong for 51 of them),
with floor only where it provably equals the integer division (truncation): the
numerator's interval is >= 0, or the Div's only consumer is a Clip with min >= 0 (both
give 0 below zero). Else the exact truncation Sign(n) Floor(|n| / D). The quotient is a
multiplication by 2^-k, not a division (a runtime's division need not be correctly
rounded; a product by a power of two is exact everywhere). Where floor is
used, C1 is split as q D + r (0 <= r < D): floor((a + C1) / D) = floor((a + r) / D) + q,
so the convolution only accumulates a + r (C1 is ~2^26 in the parameter heads: the
biased numerator itself would not be exact). D must be a power of two (the quotient is
then exact). Casts between integer types vanish (values stay integral floats), inputs
keep their integer types (Cast to float first) and outputs theirs (a final Cast).

The transformation proves its bound, with exact Python ints over per-channel intervals
(inputs: their type's range): for every Conv, sum over its kernel of |w| max|x - zp| +
|bias| per output channel, and every tensor's interval, must be below 2^24; otherwise it
refuses, naming the graph and node. (The general int64 requantization path, a multiplier
M near 2^30, is refused: no float32 form is exact for it.)

Which form runs never changes a stream: the model id is the SHA-256 of manifest.json,
which names the integer graphs (normative). The float forms are listed in a sidecar,
forms.json: {"format": "l3c-forms/1", "float-exact": {role: {"file", "sha256", "of"}}},
"of" being the SHA-256 of the integer graph the form equals; loaders use a form only
when its "of" is the manifest's hash for that role.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

from .manifest import sha256

LIMIT = 1 << 24
FORMS_FORMAT = "l3c-forms/1"
INT_RANGES = {T.UINT8: (0, 255), T.INT8: (-128, 127), T.INT32: (-(2**31), 2**31 - 1), T.INT64: (-(2**63), 2**63 - 1)}


class NotExact(ValueError):
    """The graph has no float32 form that this module can prove exact."""


def _obj(a) -> np.ndarray:
    """An array of Python ints (exact arithmetic)."""
    return np.array([int(v) for v in np.asarray(a).ravel()], dtype=object)


class Interval:
    """Bounds of an integer tensor: per channel (axis 1 of NCHW, length C) or one pair."""

    def __init__(self, lo, hi):
        self.lo, self.hi = _obj(lo), _obj(hi)

    @property
    def n(self) -> int:
        return len(self.lo)

    def whole(self) -> Interval:
        return Interval([min(self.lo)], [max(self.hi)])

    def absmax(self) -> np.ndarray:
        return np.maximum(np.abs(self.lo), np.abs(self.hi))

    def __repr__(self) -> str:
        return f"[{min(self.lo)}, {max(self.hi)}]"


def _channels(c: np.ndarray) -> np.ndarray | None:
    """A constant as per-channel values (shape (1,C,1,1), (C,) scalar-like -> length 1)."""
    if c.size == 1:
        return _obj(c)
    s = [d for d in c.shape]
    if len(s) == 4 and s[0] == 1 and s[2] == 1 and s[3] == 1:
        return _obj(c)
    return None


def _broadcast(a: Interval, b: Interval) -> tuple[Interval, Interval]:
    if a.n == b.n:
        return a, b
    if a.n == 1:
        return Interval(np.repeat(a.lo, b.n), np.repeat(a.hi, b.n)), b
    if b.n == 1:
        return a, Interval(np.repeat(b.lo, a.n), np.repeat(b.hi, a.n))
    return a.whole(), b.whole()


class FloatExact:
    """One integer graph -> its float-exact form (see the module doc)."""

    def __init__(self, model: onnx.ModelProto, name: str, of: str = ""):
        self.of = of
        self.m = model
        self.g = model.graph
        self.name = name
        self.init = {i.name: numpy_helper.to_array(i) for i in self.g.initializer}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for n in self.g.node:
            for x in n.input:
                self.consumers.setdefault(x, []).append(n)
        self.producer = {o: n for n in self.g.node for o in n.output}
        self.outputs = {o.name for o in self.g.output}
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.fname: dict[str, str] = {}  # integer tensor -> float tensor
        self.iv: dict[str, Interval] = {}
        self.done: set[str] = set()  # integer nodes folded into an earlier emission
        self._n = 0
        self.max_partial = 0

    # -- helpers --------------------------------------------------------------------------
    def fail(self, node: onnx.NodeProto | None, msg: str):
        where = f"node {node.name or node.output[0]} ({node.op_type})" if node is not None else "graph"
        raise NotExact(f"{self.name}: {where}: {msg}")

    def fresh(self, base: str) -> str:
        self._n += 1
        return f"{base}_f{self._n}"

    def const(self, arr, base: str, node: onnx.NodeProto | None = None) -> str:
        a = np.asarray(arr)
        if not np.all(np.abs(a.astype(np.float64)) < LIMIT):
            self.fail(node, f"constant {base} = {int(np.abs(a).max())} is not below 2^24")
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(a.astype(np.float32)), name))
        return name

    def op(self, op_type: str, inputs: list[str], base: str, **attrs) -> str:
        out = self.fresh(base)
        self.nodes.append(h.make_node(op_type, inputs, [out], **attrs))
        return out

    def set(self, node: onnx.NodeProto, tensor: str, fname: str, iv: Interval):
        if max(iv.absmax()) >= LIMIT:
            self.fail(node, f"values reach {max(iv.absmax())}, not below 2^24")
        self.fname[tensor] = fname
        self.iv[tensor] = iv

    def sole(self, tensor: str) -> onnx.NodeProto | None:
        c = self.consumers.get(tensor, [])
        return c[0] if len(c) == 1 and tensor not in self.outputs else None

    def cval(self, name: str, node: onnx.NodeProto) -> np.ndarray:
        if name not in self.init:
            self.fail(node, f"{name} is not a constant")
        return self.init[name]

    def is_const(self, name: str) -> bool:
        return name in self.init

    # -- the walk -------------------------------------------------------------------------
    def run(self) -> onnx.ModelProto:
        inputs = []
        for i in self.g.input:
            if i.name in self.init:
                continue
            et = i.type.tensor_type.elem_type
            if et not in INT_RANGES:
                self.fail(None, f"input {i.name} has element type {et}, not an integer type")
            lo, hi = INT_RANGES[et]
            f = self.op("Cast", [i.name], i.name, to=T.FLOAT)
            dims = i.type.tensor_type.shape.dim
            c = dims[1].dim_value if len(dims) == 4 and dims[1].HasField("dim_value") else 1
            self.set_input(i.name, f, Interval([lo] * c, [hi] * c))
            inputs.append(i)
        for n in self.g.node:
            if n.output[0] in self.done:
                continue
            getattr(self, f"op_{n.op_type}", self.unsupported)(n)
        outputs = []
        for o in self.g.output:
            et = o.type.tensor_type.elem_type
            lo, hi = INT_RANGES.get(et, (None, None))
            if lo is None:
                self.fail(None, f"output {o.name} has element type {et}")
            iv = self.iv[o.name]
            if min(iv.lo) < lo or max(iv.hi) > hi:
                self.fail(None, f"output {o.name} {iv} does not fit its type")
            self.nodes.append(h.make_node("Cast", [self.fname[o.name]], [o.name], to=et))
            outputs.append(o)
        g = h.make_graph(self.nodes, self.g.name + "-f32", inputs, outputs, self.inits)
        m = h.make_model(g, opset_imports=list(self.m.opset_import), producer_name="l3c-edge float_exact")
        m.ir_version = self.m.ir_version
        m.doc_string = (f"float-exact form of the integer graph {self.of or self.g.name} (training/l3c/float_exact.py);"
                        f" |partial sums| <= {self.max_partial}")
        onnx.checker.check_model(m)
        return m

    def set_input(self, name: str, f: str, iv: Interval):
        self.fname[name] = f
        self.iv[name] = iv

    def unsupported(self, n: onnx.NodeProto):
        self.fail(n, "operator not supported by the float-exact transformation")

    def x(self, n: onnx.NodeProto, i: int = 0) -> tuple[str, Interval]:
        t = n.input[i]
        if t not in self.fname:
            self.fail(n, f"input {t} has no float form")
        return self.fname[t], self.iv[t]

    def op_Identity(self, n):
        f, iv = self.x(n)
        self.set(n, n.output[0], f, iv)

    def op_Cast(self, n):
        to = next(a.i for a in n.attribute if a.name == "to")
        if to not in INT_RANGES:
            self.fail(n, f"Cast to element type {to}")
        f, iv = self.x(n)
        lo, hi = INT_RANGES[to]
        if min(iv.lo) < lo or max(iv.hi) > hi:
            self.fail(n, f"Cast of {iv} to element type {to} could wrap or saturate")
        self.set(n, n.output[0], f, iv)

    def op_Transpose(self, n):
        f, iv = self.x(n)
        self.set(n, n.output[0], self.op("Transpose", [f], "t", perm=list(n.attribute[0].ints)), iv.whole())

    def op_DepthToSpace(self, n):
        f, iv = self.x(n)
        attrs = {a.name: h.get_attribute_value(a) for a in n.attribute}
        if isinstance(attrs.get("mode"), bytes):
            attrs["mode"] = attrs["mode"].decode()
        self.set(n, n.output[0], self.op("DepthToSpace", [f], "d2s", **attrs), iv.whole())

    def op_Concat(self, n):
        axis = next(a.i for a in n.attribute if a.name == "axis")
        parts = [self.x(n, i) for i in range(len(n.input))]
        ivs = [p[1] for p in parts]
        if axis == 1 and all(iv.n > 1 for iv in ivs):  # (n == 1 may be one pair for all channels)
            iv = Interval(np.concatenate([v.lo for v in ivs]), np.concatenate([v.hi for v in ivs]))
        else:
            w = [v.whole() for v in ivs]
            iv = Interval([min(v.lo[0] for v in w)], [max(v.hi[0] for v in w)])
        self.set(n, n.output[0], self.op("Concat", [p[0] for p in parts], "cat", axis=axis), iv)

    def op_Clip(self, n):
        f, iv = self.x(n)
        lo = _obj(self.cval(n.input[1], n)) if len(n.input) > 1 and n.input[1] else None
        hi = _obj(self.cval(n.input[2], n)) if len(n.input) > 2 and n.input[2] else None
        if (lo is not None and lo.size != 1) or (hi is not None and hi.size != 1):
            self.fail(n, "Clip bounds must be scalars")
        ins = [f, self.const(np.float32(lo[0]), "lo") if lo is not None else ""]
        if hi is not None:
            ins.append(self.const(np.float32(hi[0]), "hi"))
        nlo = np.maximum(iv.lo, lo[0]) if lo is not None else iv.lo
        nhi = np.minimum(iv.hi, hi[0]) if hi is not None else iv.hi
        nlo = np.minimum(nlo, nhi)
        self.set(n, n.output[0], self.op("Clip", ins, "clip"), Interval(nlo, nhi))

    def _folds_into_conv(self, pad: onnx.NodeProto) -> bool:
        """A zero-point Pad whose only consumer is a ConvInteger: it becomes Conv padding."""
        c = self.sole(pad.output[0])
        if c is None or c.op_type != "ConvInteger" or c.input[0] != pad.output[0]:
            return False
        v = int(self.cval(pad.input[2], pad).ravel()[0]) if len(pad.input) > 2 and pad.input[2] else 0
        zp = int(self.cval(c.input[2], c).ravel()[0]) if len(c.input) > 2 and c.input[2] else 0
        p = self.cval(pad.input[1], pad).astype(np.int64).tolist()
        return v == zp and len(p) == 8 and not (p[0] or p[1] or p[4] or p[5])

    def op_Pad(self, n):
        if self._folds_into_conv(n):
            return  # op_ConvInteger takes it as Conv pads
        # Otherwise a float Pad with the same value.
        f, iv = self.x(n)
        mode = next((a.s for a in n.attribute if a.name == "mode"), b"constant")
        if mode != b"constant":
            self.fail(n, f"Pad mode {mode!r}")
        v = int(self.cval(n.input[2], n).ravel()[0]) if len(n.input) > 2 and n.input[2] else 0
        pads = self.fresh("pads")
        self.inits.append(numpy_helper.from_array(self.cval(n.input[1], n).astype(np.int64), pads))
        out = self.op("Pad", [f, pads, self.const(np.float32(v), "padv")], "pad", mode="constant")
        self.set(n, n.output[0], out, Interval(np.minimum(iv.lo, v), np.maximum(iv.hi, v)))

    def _binary_const(self, n) -> tuple[str, Interval, np.ndarray] | None:
        a, b = n.input
        if self.is_const(b):
            t, c = a, self.init[b]
        elif self.is_const(a):
            t, c = b, self.init[a]
        else:
            return None
        if t not in self.fname:
            self.fail(n, f"input {t} has no float form")
        return self.fname[t], self.iv[t], c

    def op_Add(self, n):
        bc = self._binary_const(n)
        if bc is None:
            (fa, ia), (fb, ib) = self.x(n, 0), self.x(n, 1)
            ia, ib = _broadcast(ia, ib)
            self.set(n, n.output[0], self.op("Add", [fa, fb], "add"), Interval(ia.lo + ib.lo, ia.hi + ib.hi))
            return
        f, iv, c = bc
        cc = _channels(c)
        if cc is None:
            self.fail(n, f"constant of shape {c.shape}")
        iv2, cv = _broadcast(iv, Interval(cc, cc))
        self.set(n, n.output[0], self.op("Add", [f, self.const(c, "c", n)], "add"),
                 Interval(iv2.lo + cv.lo, iv2.hi + cv.hi))

    def op_Mul(self, n):
        bc = self._binary_const(n)
        if bc is None:
            self.fail(n, "Mul of two tensors")
        f, iv, c = bc
        cc = _channels(c)
        if cc is None:
            self.fail(n, f"constant of shape {c.shape}")
        iv2, cv = _broadcast(iv, Interval(cc, cc))
        p = [iv2.lo * cv.lo, iv2.hi * cv.lo]
        self.set(n, n.output[0], self.op("Mul", [f, self.const(c, "c", n)], "mul"),
                 Interval(np.minimum(*p), np.maximum(*p)))

    def op_Div(self, n):
        f, iv = self.x(n)
        d = _obj(self.cval(n.input[1], n))
        floor, dconst, _, iv_out = self.div(n, iv, d, _obj([0]))
        if floor:
            y = self.op("Floor", [self.op("Mul", [f, dconst], "scale")], "floor")
        else:
            a = self.op("Floor", [self.op("Mul", [self.op("Abs", [f], "abs"), dconst], "scale")], "floor")
            y = self.op("Mul", [self.op("Sign", [f], "sign"), a], "trunc")
        self.set(n, n.output[0], y, iv_out)

    def div(self, n, iv: Interval, d: np.ndarray, c: np.ndarray):
        """Integer Div (truncation) of (iv + c) by powers of two d: (floor?, D constant, q, interval).

        Floor when it equals truncation: the numerator is >= 0, or the only consumer is a
        Clip with min >= 0 (below zero both clip to 0). q = c // d (floor) per channel."""
        if any(v <= 0 or (v & (v - 1)) for v in d):
            self.fail(n, f"divisor {sorted(set(d.tolist()))} is not a positive power of two")
        iv2, dv = _broadcast(iv, Interval(d, d))
        iv3, cv = _broadcast(iv2, Interval(c, c))
        iv3, dv = _broadcast(iv3, dv)
        nlo, nhi = iv3.lo + cv.lo, iv3.hi + cv.lo
        cons = self.sole(n.output[0])
        clip_ok = (
            cons is not None and cons.op_type == "Clip" and len(cons.input) > 1 and self.is_const(cons.input[1])
            and int(self.init[cons.input[1]].ravel()[0]) >= 0
        )
        # Multiply by 2^-k rather than divide by 2^k: both are exact in IEEE-754, but a
        # runtime's float division need not be correctly rounded (WGSL allows 2.5 ULP,
        # fast-math GPU builds approximate), and a result just below an integer would floor
        # wrong; a multiplication by a power of two only changes the exponent.
        dconst = self.const(1.0 / self.init[n.input[1]].astype(np.float64), "R")
        if min(nlo) >= 0 or clip_ok:
            return True, dconst, cv.lo // dv.lo, Interval(nlo // dv.lo, nhi // dv.lo)
        return False, dconst, None, Interval(_trunc(nlo, dv.lo), _trunc(nhi, dv.lo))

    def op_ConvInteger(self, n):
        """Conv chain: [Pad] ConvInteger [Mul P] [Add C1] [Div D], each the sole consumer."""
        xin = n.input[0]
        pads = [0, 0, 0, 0]
        xzp = int(self.cval(n.input[2], n).ravel()[0]) if len(n.input) > 2 and n.input[2] else 0
        wzp = _obj(self.cval(n.input[3], n)) if len(n.input) > 3 and n.input[3] else _obj([0])
        pad = self.producer.get(xin)
        if pad is not None and pad.op_type == "Pad" and xin not in self.fname and self._folds_into_conv(pad):
            p = self.cval(pad.input[1], pad).astype(np.int64).tolist()
            pads = [p[2], p[3], p[6], p[7]]
            xin = pad.input[0]
        if xin not in self.fname:
            self.fail(n, f"input {xin} has no float form")
        fx, ivx = self.fname[xin], self.iv[xin]
        w = self.cval(n.input[1], n).astype(np.int64)
        if w.dtype != np.int64 or self.init[n.input[1]].dtype not in (np.uint8, np.int8):
            self.fail(n, "weights are not 8-bit")
        wzp_v = int(wzp[0]) if wzp.size == 1 else None
        if wzp_v is None:
            self.fail(n, "per-channel weight zero points")
        W = w - wzp_v
        cout, cin = W.shape[0], W.shape[1]
        if ivx.n not in (1, cin):
            ivx = ivx.whole()
        if ivx.n == 1:
            ivx = Interval(np.repeat(ivx.lo, cin), np.repeat(ivx.hi, cin))
        # x - zp, with the padding's zeros.
        xlo = np.minimum(ivx.lo - xzp, 0)
        xhi = np.maximum(ivx.hi - xzp, 0)
        Wo = W.reshape(cout, cin, -1).astype(object)
        amax = np.maximum(np.abs(xlo), np.abs(xhi))[None, :, None]
        bound = (np.abs(Wo) * amax).sum(axis=(1, 2))  # partial sums of |w||x - zp|
        lo = np.minimum(Wo * xlo[None, :, None], Wo * xhi[None, :, None]).sum(axis=(1, 2))
        hi = np.maximum(Wo * xlo[None, :, None], Wo * xhi[None, :, None]).sum(axis=(1, 2))
        # Fold the chain.
        P = _obj([1] * cout)
        C1 = _obj([0] * cout)
        t, last = n.output[0], n
        nxt = self.sole(t)
        if nxt is not None and nxt.op_type == "Mul" and self._chan_const(nxt, t, cout) is not None:
            P = self._chan_const(nxt, t, cout)
            if any(v == 0 for v in P):
                self.fail(nxt, "zero multiplier")
            lo, hi = np.minimum(lo * P, hi * P), np.maximum(lo * P, hi * P)
            bound = bound * np.abs(P)
            t, last = nxt.output[0], nxt
            self.done.add(t)
            nxt = self.sole(t)
        if nxt is not None and nxt.op_type == "Add" and self._chan_const(nxt, t, cout) is not None:
            C1 = self._chan_const(nxt, t, cout)
            t, last = nxt.output[0], nxt
            self.done.add(t)
            nxt = self.sole(t)
        bias = C1
        post = None
        if nxt is not None and nxt.op_type == "Div" and self._chan_const(nxt, t, cout, arg=1) is not None:
            D = self._chan_const(nxt, t, cout, arg=1)
            floor, dconst, q, iv_out = self.div(nxt, Interval(lo, hi), D, C1)
            if floor:  # floor: accumulate a + r, add q after
                bias = C1 - q * D
                post = ("floor", dconst, q)
            else:
                post = ("trunc", dconst, None)
            t, last = nxt.output[0], nxt
            self.done.add(t)
        else:
            iv_out = Interval(lo + C1, hi + C1)
        partial = bound + np.abs(bias)
        worst = int(max(partial))
        if worst >= LIMIT:
            o = int(np.argmax(partial))
            self.fail(n, f"output channel {o}: sum |w| max|x - zp| + |bias| = {worst}, not below 2^24")
        acc_iv = Interval(lo + bias, hi + bias)
        if max(acc_iv.absmax()) >= LIMIT:
            self.fail(n, f"accumulator reaches {max(acc_iv.absmax())}, not below 2^24")
        self.max_partial = max(self.max_partial, worst)
        # Emit.
        xs = fx if xzp == 0 else self.op("Sub", [fx, self.const(np.float32(xzp), "xzp")], "xs")
        Wf = (W * np.asarray(P.astype(np.int64)).reshape(cout, 1, 1, 1))
        group = next((h.get_attribute_value(a) for a in n.attribute if a.name == "group"), 1)
        if group == 1 and cin % 4:
            # Zero input channels up to a multiple of 4 (same sums): onnxruntime-web's WebGPU
            # Conv computed wrong values for 51 input channels and right ones for 52.
            k = 4 - cin % 4
            pads_c = self.fresh("padc")
            self.inits.append(numpy_helper.from_array(np.array([0, 0, 0, 0, 0, k, 0, 0], np.int64), pads_c))
            xs = self.op("Pad", [xs, pads_c], "xpad", mode="constant")
            Wf = np.concatenate([Wf, np.zeros((cout, k) + Wf.shape[2:], Wf.dtype)], axis=1)
        ins = [xs, self.const(Wf, "w")]
        if any(b != 0 for b in bias):
            ins.append(self.const(np.asarray(bias.astype(np.int64)), "b"))
        attrs = {a.name: h.get_attribute_value(a) for a in n.attribute if a.name in ("dilations", "kernel_shape", "strides", "group")}
        if any(pads):
            attrs["pads"] = pads
        y = self.op("Conv", ins, "conv", **attrs)
        if post is not None:
            kind, dconst, q = post
            if kind == "floor":
                y = self.op("Floor", [self.op("Mul", [y, dconst], "scale")], "floor")
                if any(v != 0 for v in q):
                    y = self.op("Add", [y, self.const(np.asarray(q.astype(np.int64)).reshape(1, -1, 1, 1), "q")], "addq")
            else:
                a = self.op("Floor", [self.op("Mul", [self.op("Abs", [y], "abs"), dconst], "scale")], "floor")
                y = self.op("Mul", [self.op("Sign", [y], "sign"), a], "trunc")
        self.set(last, t, y, iv_out)

    def _chan_const(self, node, t: str, cout: int, arg: int | None = None) -> np.ndarray | None:
        """The per-channel constant operand of a binary node whose other operand is t."""
        a, b = node.input
        if arg == 1:
            if a != t or not self.is_const(b):
                return None
            c = self.init[b]
        elif a == t and self.is_const(b):
            c = self.init[b]
        elif b == t and self.is_const(a):
            c = self.init[a]
        else:
            return None
        cc = _channels(c)
        if cc is None or cc.size not in (1, cout):
            return None
        return np.repeat(cc, cout) if cc.size == 1 else cc


def _trunc(n: np.ndarray, d: np.ndarray) -> np.ndarray:
    return np.array([(abs(a) // b) * (1 if a >= 0 else -1) for a, b in zip(n, d)], dtype=object)


def float_exact(model: onnx.ModelProto, name: str, of: str = "") -> onnx.ModelProto:
    """The float-exact form of an integer graph (raises NotExact with the reason); `of`, the
    integer graph's SHA-256, goes into the doc string (not the folder: equal graphs of two
    models give equal bytes)."""
    return FloatExact(model, name, of).run()


DECODE_SKIP = {"encoder"}


def _write(path: Path, b: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(b)
    os.replace(tmp, path)


def write_forms(model_dir: Path) -> dict:
    """Float-exact files + forms.json for every decode graph of a model folder."""
    manifest = json.loads((model_dir / "manifest.json").read_bytes())
    forms = {}
    for role, f in sorted(manifest["files"].items()):
        if role in DECODE_SKIP:
            continue
        b = (model_dir / f["file"]).read_bytes()
        if sha256(b) != f["sha256"]:
            raise NotExact(f"{model_dir.name}/{f['file']} does not match its manifest hash")
        fb = float_exact(onnx.load_from_string(b), f"{model_dir.name}/{role}", f["sha256"]).SerializeToString()
        hsh = sha256(fb)
        fname = f"{role}-f32-{hsh[:16]}.onnx"
        _write(model_dir / fname, fb)
        forms[role] = {"file": fname, "sha256": hsh, "of": f["sha256"]}
    keep = {v["file"] for v in forms.values()}
    for old in model_dir.glob("*-f32-*.onnx"):
        if old.name not in keep:
            old.unlink()
    doc = {"format": FORMS_FORMAT, "float-exact": forms}
    _write(model_dir / "forms.json", (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode())
    return doc


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m l3c.float_exact", description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", type=Path, help="model folders (with manifest.json)")
    a = ap.parse_args(argv)
    failed = 0
    for d in a.models:
        try:
            doc = write_forms(d)
            print(f"{d}: {len(doc['float-exact'])} float-exact graphs, forms.json written")
        except NotExact as e:
            print(f"{d}: refused: {e}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
