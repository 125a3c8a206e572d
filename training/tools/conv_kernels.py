# Is a 3x3 integer conv faster as im2col + MatMulInteger than as ConvInteger in onnxruntime (CPU, 1 thread)?
# Checks the three give identical int32 outputs, then times them (48 -> 48 channels, 128 x 128).
#   training/.venv/bin/python training/tools/conv_kernels.py
import time, numpy as np, onnx, onnxruntime as ort
from onnx import helper as h, TensorProto as T, numpy_helper as nh
Cin, Cout, H, W = 48, 48, 128, 128
rng = np.random.default_rng(0)
w = rng.integers(0, 255, (Cout, Cin, 3, 3), dtype=np.uint8)
x = rng.integers(0, 255, (1, Cin, H, W), dtype=np.uint8)
zp = np.array(128, np.uint8)
def conv_graph():
    nodes = [h.make_node("Pad", ["x", "pads", "pv"], ["xp"], mode="constant"),
             h.make_node("ConvInteger", ["xp", "w", "xzp", "wzp"], ["y"])]
    inits = [nh.from_array(np.array([0,0,1,1,0,0,1,1], np.int64), "pads"), nh.from_array(zp, "pv"),
             nh.from_array(w, "w"), nh.from_array(zp, "xzp"), nh.from_array(zp, "wzp")]
    g = h.make_graph(nodes, "c", [h.make_tensor_value_info("x", T.UINT8, [1, Cin, H, W])], [h.make_tensor_value_info("y", T.INT32, None)], inits)
    return h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
def mm_graph():
    nodes = [h.make_node("Pad", ["x", "pads", "pv"], ["xp"], mode="constant")]
    inits = [nh.from_array(np.array([0,0,1,1,0,0,1,1], np.int64), "pads"), nh.from_array(zp, "pv")]
    cols = []
    for dy in range(3):
        for dx in range(3):
            n = f"s{dy}{dx}"
            inits += [nh.from_array(np.array([dy, dx], np.int64), n+"st"), nh.from_array(np.array([dy+H, dx+W], np.int64), n+"en"), nh.from_array(np.array([2, 3], np.int64), n+"ax")]
            nodes.append(h.make_node("Slice", ["xp", n+"st", n+"en", n+"ax"], [n]))
            cols.append(n)
    # weight matrix [Cout, 9*Cin] ordered (dy,dx,cin) to match concat order
    wm = w.transpose(0, 2, 3, 1).reshape(Cout, 9 * Cin)
    nodes += [h.make_node("Concat", cols, ["col"], axis=1),
              h.make_node("Reshape", ["col", "shp"], ["colm"]),
              h.make_node("MatMulInteger", ["wm", "colm", "wzp", "xzp"], ["ym"]),
              h.make_node("Reshape", ["ym", "oshp"], ["y"])]
    inits += [nh.from_array(np.array([9 * Cin, H * W], np.int64), "shp"), nh.from_array(wm, "wm"),
              nh.from_array(zp, "wzp"), nh.from_array(zp, "xzp"), nh.from_array(np.array([1, Cout, H, W], np.int64), "oshp")]
    g = h.make_graph(nodes, "m", [h.make_tensor_value_info("x", T.UINT8, [1, Cin, H, W])], [h.make_tensor_value_info("y", T.INT32, None)], inits)
    return h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
so = ort.SessionOptions(); so.intra_op_num_threads = 1
outs = {}
for name, m in (("ConvInteger", conv_graph()), ("im2col+MatMulInteger", mm_graph())):
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    y = s.run(None, {"x": x})[0]; outs[name] = y
    best = 1e9
    for _ in range(5):
        t = time.perf_counter(); s.run(None, {"x": x}); best = min(best, time.perf_counter() - t)
    print(f"{name}: {best*1000:.1f} ms, {Cout*Cin*9*H*W/best/1e9:.1f} GMAC/s")
print("identical:", np.array_equal(outs["ConvInteger"], outs["im2col+MatMulInteger"]))

def mm_s8_graph():
    m = mm_graph()
    g = m.graph
    # replace MatMulInteger(wm, colm) with Transpose(MatMulInteger(colm^T, wm^T s8))
    nodes = [n for n in g.node if n.op_type not in ("MatMulInteger", "Reshape") or n.output[0] == "colm"]
    ws8 = (w.astype(np.int16) - 128).astype(np.int8).transpose(0, 2, 3, 1).reshape(Cout, 9 * Cin).T.copy()
    inits = [i for i in g.initializer if i.name not in ("wm", "wzp")] + [nh.from_array(ws8, "ws8"), nh.from_array(np.array(0, np.int8), "wzp8")]
    nodes += [h.make_node("Transpose", ["colm"], ["colT"], perm=[1, 0]),
              h.make_node("MatMulInteger", ["colT", "ws8", "xzp", "wzp8"], ["ymT"]),
              h.make_node("Transpose", ["ymT"], ["ym"], perm=[1, 0]),
              h.make_node("Reshape", ["ym", "oshp"], ["y"])]
    g2 = h.make_graph(nodes, "m8", list(g.input), list(g.output), inits)
    return h.make_model(g2, opset_imports=[h.make_opsetid("", 17)])
s = ort.InferenceSession(mm_s8_graph().SerializeToString(), so, providers=["CPUExecutionProvider"])
y = s.run(None, {"x": x})[0]
best = 1e9
for _ in range(5):
    t = time.perf_counter(); s.run(None, {"x": x}); best = min(best, time.perf_counter() - t)
print(f"im2col+MatMulInteger u8s8: {best*1000:.1f} ms, {Cout*Cin*9*H*W/best/1e9:.1f} GMAC/s, identical {np.array_equal(y, outs['ConvInteger'])}")
