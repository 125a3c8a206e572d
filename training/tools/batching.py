# Does batching tiles pay on CPU? Times the dec1 graph as 4 runs of batch 1 vs one run of batch 4.
#   training/.venv/bin/python training/tools/batching.py
import glob, time, numpy as np, onnx, onnxruntime as ort
path = glob.glob("models/l3c-pyramid-v1/dec1-*.onnx")[0]
m = onnx.load(path)
for i in list(m.graph.input) + list(m.graph.output):
    i.type.tensor_type.shape.dim[0].dim_param = "n"
so = ort.SessionOptions(); so.intra_op_num_threads = 1
s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
for h in (128, 256):
    def feeds(n):
        rng = np.random.default_rng(0)
        return {"z1": rng.integers(0, 25, (n, 5, h, h), dtype=np.uint8), "f2": rng.integers(0, 255, (n, 48, h, h), dtype=np.uint8)}
    f1, f4 = feeds(1), feeds(4)
    s.run(None, f1); s.run(None, f4)
    best1 = best4 = 1e9
    for _ in range(3):
        t = time.perf_counter(); [s.run(None, f1) for _ in range(4)]; best1 = min(best1, time.perf_counter() - t)
        t = time.perf_counter(); s.run(None, f4); best4 = min(best4, time.perf_counter() - t)
    print(f"dec1 {h}x{h}: 4 runs of batch 1 {best1*1000:.0f} ms, 1 run of batch 4 {best4*1000:.0f} ms")
