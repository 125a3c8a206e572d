"""A small ONNX graph builder for the integer decoder and the float encoder.

Integer layer (normative for the exported decoders; all ops on integers):

    xp  = Pad(x, constant = zero point)            uint8
    acc = ConvInteger(xp, Wq + 128 (uint8), x_zp, 128) int32  (exact)
    n   = Cast<int64>(acc) * M + C1                 int64   M, C1 per output channel
    y   = n / 2^k                                   int64   (n > 0, so this is floor)
    act:    Cast<uint8>(Clip(y + C2 [+ residual], 0, 255))
    params: Cast<int32>(y + C2)

with M = round(ratio 2^k), C1 = bias M + 2^(k-1) + (add + OFF) 2^k and C2 = zp - OFF
(OFF makes n positive so integer division truncation equals floor). Every step is
integer arithmetic with the same result in any runtime and at any thread count.
"""

from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper

OPSET = 17


class GraphBuilder:
    def __init__(self, name: str):
        self.name = name
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._n = 0
        self._consts: dict[tuple, str] = {}

    def fresh(self, base: str) -> str:
        self._n += 1
        return f"{base}_{self._n}"

    def const(self, arr: np.ndarray, base: str = "c") -> str:
        arr = np.ascontiguousarray(arr)
        key = (arr.dtype.str, arr.shape, arr.tobytes()) if arr.size <= 4 else None
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.fresh(base)
        self.inits.append(numpy_helper.from_array(arr, name))
        if key is not None:
            self._consts[key] = name
        return name

    def op(self, op_type: str, inputs: list[str], base: str | None = None, **attrs) -> str:
        out = self.fresh(base or op_type.lower())
        self.nodes.append(h.make_node(op_type, inputs, [out], **attrs))
        return out

    def input(self, name: str, elem: int, shape: list) -> str:
        self.inputs.append(h.make_tensor_value_info(name, elem, shape))
        return name

    def output(self, src: str, name: str, elem: int, shape: list) -> None:
        self.nodes.append(h.make_node("Identity", [src], [name]))
        self.outputs.append(h.make_tensor_value_info(name, elem, shape))

    def model(self) -> onnx.ModelProto:
        g = h.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.inits)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", OPSET)], producer_name="l3c-edge")
        m.ir_version = 8
        onnx.checker.check_model(m)
        return m

    # -- integer layers ------------------------------------------------------------------
    def pad(self, x: str, p: int, value: int, dtype=np.uint8) -> str:
        if p == 0:
            return x
        pads = self.const(np.array([0, 0, p, p, 0, 0, p, p], dtype=np.int64), "pads")
        return self.op("Pad", [x, pads, self.const(np.array(value, dtype=dtype), "padv")], "pad", mode="constant")

    def conv_integer(self, x: str, x_zp: int, wq: np.ndarray, dilation: int) -> str:
        """Zero-point padding + ConvInteger: the exact int32 accumulator of a 'same' conv.

        Weights go in as uint8 with zero point 128: onnxruntime's ConvInteger is ~4x faster
        for u8 x u8 than for u8 x s8, and the integer result is the same."""
        k = wq.shape[-1]
        xp = self.pad(x, dilation * (k // 2), x_zp)
        wu8 = (wq.astype(np.int16) + 128).astype(np.uint8)
        return self.op(
            "ConvInteger",
            [xp, self.const(wu8, "w"), self.const(np.array(x_zp, dtype=np.uint8), "xzp"),
             self.const(np.array(128, dtype=np.uint8), "wzp")],
            "acc", dilations=[dilation, dilation], kernel_shape=[k, k],
        )

    def int_conv(
        self,
        x: str,
        x_zp: int,
        wq: np.ndarray,
        bias_acc: np.ndarray,
        ratio: np.ndarray,
        add: np.ndarray,
        dilation: int,
        out: str,
        out_zp: int = 0,
        residual_i64: str | None = None,
    ) -> str:
        """One integer conv + requantization. `out` is "act" (uint8) or "params" (int32)."""
        acc = self.conv_integer(x, x_zp, wq, dilation)
        acc_bound = np.abs(wq.astype(np.int64)).reshape(wq.shape[0], -1).sum(1) * 255
        M, C1, shift, off = requant_constants(bias_acc, ratio, add, acc_bound)
        cout = wq.shape[0]
        y = self.op("Cast", [acc], "acc64", to=T.INT64)
        y = self.op("Mul", [y, self.const(M.reshape(1, cout, 1, 1), "M")])
        y = self.op("Add", [y, self.const(C1.reshape(1, cout, 1, 1), "C1")])
        y = self.op("Div", [y, self.const(np.array(1 << shift, dtype=np.int64), "den")])
        if out == "params":
            y = self.op("Add", [y, self.const(np.array(-off, dtype=np.int64), "C2")])
            return self.op("Cast", [y], "params", to=T.INT32)
        c2 = out_zp - off - (128 if residual_i64 is not None else 0)
        y = self.op("Add", [y, self.const(np.array(c2, dtype=np.int64), "C2")])
        if residual_i64 is not None:
            y = self.op("Add", [y, residual_i64])
        y = self.op("Clip", [y, self.const(np.array(0, np.int64), "lo"), self.const(np.array(255, np.int64), "hi")])
        return self.op("Cast", [y], "q", to=T.UINT8)

    def int_conv_pow2(
        self,
        x: str,
        x_zp: int,
        wq: np.ndarray,
        bias_acc: np.ndarray,
        k: np.ndarray,
        add: np.ndarray,
        dilation: int,
        out: str,
        out_zp: int = 0,
        residual: str | None = None,
    ) -> str:
        """Integer conv + requantization by a per-channel rounding shift k (ratio 2^-k), in
        int32 when the range allows, else through the general int64 path."""
        cout = wq.shape[0]
        k = k.astype(np.int64)
        P = np.left_shift(1, np.maximum(0, -k)).astype(np.int64)
        D = np.left_shift(1, np.maximum(0, k)).astype(np.int64)
        half = np.where(D > 1, D // 2, 0)
        acc_bound = np.abs(wq.astype(np.int64)).reshape(cout, -1).sum(1) * 255
        exact_floor = out == "params" or residual is not None
        off = np.zeros(cout, np.int64)
        if exact_floor:
            off = (acc_bound * P + np.abs(bias_acc) * P) // D + 2
            off = np.full(cout, int(off.max()), np.int64)  # one scalar OFF (added back once)
        zp_term = out_zp if (out == "act" and residual is None) else 0
        C1 = bias_acc * P + half + (add.astype(np.int64) + zp_term + off) * D
        lo = C1 - acc_bound * P
        hi = C1 + acc_bound * P
        if not (np.all(hi < 2**31) and np.all(lo > -(2**31)) and (not exact_floor or np.all(lo > 0))):
            ratio = np.power(2.0, -k.astype(np.float64))
            return self.int_conv(x, x_zp, wq, bias_acc, ratio, add, dilation, out, out_zp,
                                 self.to_i64(residual) if residual is not None else None)
        y = self.conv_integer(x, x_zp, wq, dilation)
        if np.any(P > 1):
            y = self.op("Mul", [y, self.const(P.astype(np.int32).reshape(1, cout, 1, 1), "P")])
        y = self.op("Add", [y, self.const(C1.astype(np.int32).reshape(1, cout, 1, 1), "C1")])
        if np.any(D > 1):
            y = self.op("Div", [y, self.const(D.astype(np.int32).reshape(1, cout, 1, 1), "D")])
        if out == "params":
            y = self.op("Add", [y, self.const(np.array(-int(off[0]), np.int32), "C2")])
            return y
        if residual is not None:
            r = self.op("Cast", [residual], "r32", to=T.INT32)
            y = self.op("Add", [y, r])
            y = self.op("Add", [y, self.const(np.array(out_zp - 128 - int(off[0]), np.int32), "C2")])
        y = self.op("Clip", [y, self.const(np.array(0, np.int32), "lo"), self.const(np.array(255, np.int32), "hi")])
        return self.op("Cast", [y], "q", to=T.UINT8)

    def to_i64(self, x: str) -> str:
        return self.op("Cast", [x], "i64", to=T.INT64)


def requant_constants(bias_acc: np.ndarray, ratio: np.ndarray, add: np.ndarray, acc_bound: np.ndarray):
    """Integer multiplier M, offset C1, shift k and OFF for y = round((acc + bias) ratio + add).

    Checks that n = acc M + C1 stays in (0, 2^62) for every |acc| <= acc_bound.
    """
    rmax = float(np.max(np.abs(ratio)))
    if not (rmax > 0 and math.isfinite(rmax)):
        raise ValueError(f"bad requantization ratio {rmax}")
    shift = int(math.floor(math.log2(2.0**30 / rmax)))
    shift = max(1, min(shift, 52))
    M = np.round(ratio.astype(np.float64) * 2.0**shift).astype(np.int64)
    off = 1 << max(0, 58 - shift)
    C1 = bias_acc.astype(np.int64) * M + (1 << (shift - 1)) + (add.astype(np.int64) + off) * (1 << shift)
    # Exact (Python int) range check of n over the accumulator range.
    for m, c, b in zip(M.tolist(), C1.tolist(), acc_bound.tolist()):
        lo, hi = c - abs(m) * b, c + abs(m) * b
        if not (0 < lo and hi < 2**62):
            raise ValueError(f"requantization out of int64 range (M={m}, C1={c}, acc bound {b})")
    return M, C1, shift, off
