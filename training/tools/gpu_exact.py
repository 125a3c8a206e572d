"""Are the float-exact decode graphs exact on this device? Proves it bit for bit on real tiles.

    training/.venv/bin/python training/tools/gpu_exact.py --device cuda [--tf32 off|on]
        [--model ../models/l3c-pyramid-v5] [--tiles 4] [--kodak ../shared/datasets/kodak]
        [--conv cudnn|gemm] [--reps 5]

(paths relative to the repository root work too; a lent GPU runs training/gpu_exact_run.sh.)

For each tile (256 x 256 crops of the Kodak images in raster order; a synthetic image
when the folder is absent) it computes the decode graphs' inputs the way the decoder
does (shared/l3c-model.ts), with onnxruntime CPU on the *integer* graphs: the encoder
graph gives z3, z2 and z1; dec3(z3) -> f3, h3; dec2(z2, f3) -> f2, h2; dec1(z1, f2) -> f1;
base(h3); l{3,2,1}p{1,2,3} on h3, h2, f1 with the pixel planes of the tile that the
stage sees (phases 0..p-1 of its level). (z1 is the encoder's choice: adaptive models'
encoders send the mode of z1's prior instead, which only a coder computes; both are
z1 tensors of the same range.) Each decode graph also gets one input of uniform random
bytes and the two extremes (all 0, all 255): the exactness proof covers every input.

The float-exact form of each graph (forms.json, hashes checked against manifest.json)
is then rebuilt in PyTorch from its ONNX nodes and initializers (a small interpreter over
the ops these forms use: Conv, Sub, Add, Mul, Div, Floor, Clip, Cast, Concat, Transpose,
DepthToSpace, Sign, Abs, Identity) and run on --device with
torch.backends.cudnn.deterministic = True, benchmark = False and TF32 as --tf32 says
(torch.backends.cuda.matmul.allow_tf32 and torch.backends.cudnn.allow_tf32). Every
output must equal the integer graph's output from onnxruntime CPU; any difference and
the exit status is 1.

--conv cudnn (default) runs F.conv2d: cuDNN picks its algorithm by heuristics, which
may be Winograd or FFT (their transforms round), unlike the backend's onnxruntime CUDA
session (cudnn_conv_algo_search DEFAULT = implicit precomputed GEMM). A difference with
cudnn is therefore not yet a difference of the backend's path: rerun with --conv gemm
(im2col + one float32 matrix product per convolution: any summation order, exact below
2^24). Where this Python's onnxruntime has the CUDA provider (onnxruntime-gpu), the
float forms also run there with the backend's settings (`ort-cuda` columns); else n/a.

Time: per 256 tile per graph, the min over --reps runs of the interpreter with the
inputs already on the device (no host<->device transfer; synchronized before and after),
and the networks' MP/s = tile pixels / the sum over the 13 decode graphs (the encoder is
not a decode graph). The Python interpreter's per-op launch overhead is included, so
this is a floor on what one stream of tiles gets.

Smoke test on CPU (2 cores shared with a CI run; no GPU lent yet, so no CUDA result
here; --reps 1 timings on such a machine are noise, e.g. l3p3 94 ms beside l3p2 2 ms):

    $ training/.venv/bin/python training/tools/gpu_exact.py --device cpu --tiles 1 --reps 1
    model l3c-pyramid-v5 (13 float-exact decode graphs), device cpu (torch 2.15.0+cu132), tf32 off, conv cudnn,
    1 tile(s) of 256 x 256 from kodak (kodim01.png), 4 inputs per graph;
    onnxruntime 1.32.0 CUDA provider: no
    graph  inputs  max|diff|  ms/tile  ort-cuda max|diff|  ort-cuda ms/tile
    dec3   4       0          18.8     n/a                 n/a
    dec2   4       0          66.0     n/a                 n/a
    dec1   4       0          130.9    n/a                 n/a
    base   4       0          2.0      n/a                 n/a
    l3p1   4       0          10.5     n/a                 n/a
    l3p2   4       0          2.3      n/a                 n/a
    l3p3   4       0          94.0     n/a                 n/a
    l2p1   4       0          7.6      n/a                 n/a
    l2p2   4       0          7.2      n/a                 n/a
    l2p3   4       0          14.6     n/a                 n/a
    l1p1   4       0          24.0     n/a                 n/a
    l1p2   4       0          43.5     n/a                 n/a
    l1p3   4       0          34.5     n/a                 n/a
    all    52      0          456.0
    networks: 0.144 MP/s on cpu (torch, per tile, median over tiles of min of 1, no transfers)
    exact: every output of every float-exact graph equals the integer graph's

    $ training/.venv/bin/python training/tools/gpu_exact.py --device cpu --tiles 1 --reps 1 \
        --model test/fixtures/models/tiny --conv gemm
    model tiny (13 float-exact decode graphs), device cpu (torch 2.15.0+cu132), tf32 off, conv gemm,
    1 tile(s) of 256 x 256 from kodak (kodim01.png), 4 inputs per graph;
    onnxruntime 1.32.0 CUDA provider: no
    graph  inputs  max|diff|  ms/tile  ort-cuda max|diff|  ort-cuda ms/tile
    dec3   4       0          127.4    n/a                 n/a
    dec2   4       0          25.1     n/a                 n/a
    dec1   4       0          10.1     n/a                 n/a
    base   4       0          0.6      n/a                 n/a
    l3p1   4       0          0.7      n/a                 n/a
    l3p2   4       0          0.7      n/a                 n/a
    l3p3   4       0          0.7      n/a                 n/a
    l2p1   4       0          7.1      n/a                 n/a
    l2p2   4       0          11.2     n/a                 n/a
    l2p3   4       0          3.9      n/a                 n/a
    l1p1   4       0          54.8     n/a                 n/a
    l1p2   4       0          11.7     n/a                 n/a
    l1p3   4       0          13.6     n/a                 n/a
    all    52      0          267.5
    networks: 0.245 MP/s on cpu (torch, per tile, median over tiles of min of 1, no transfers)
    exact: every output of every float-exact graph equals the integer graph's
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

ROOT = Path(__file__).resolve().parents[2]
DECODE_ORDER = ["dec3", "dec2", "dec1", "base"] + [f"l{lv}p{p}" for lv in (3, 2, 1) for p in (1, 2, 3)]
PHASES = [(0, 0), (1, 1), (0, 1), (1, 0)]
ONNX_TO_TORCH = {1: torch.float32, 2: torch.uint8, 3: torch.int8, 6: torch.int32, 7: torch.int64}


def _path(p: str) -> Path:
    """A path as given (from the cwd), else from the repository root (training/ runs too)."""
    q = Path(p)
    return q if q.exists() or q.is_absolute() else ROOT / p


def _sha(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


def load_model(folder: Path) -> tuple[dict, dict[str, Path], dict[str, Path]]:
    """manifest, integer graph files by role, float-exact files by role (hash-checked)."""
    man = json.loads((folder / "manifest.json").read_text())
    ints = {}
    for role, f in man["files"].items():
        p = folder / f["file"]
        if _sha(p) != f["sha256"]:
            sys.exit(f"{p}: SHA-256 differs from manifest.json")
        ints[role] = p
    forms = json.loads((folder / "forms.json").read_text())
    if forms.get("format") != "l3c-forms/1":
        sys.exit(f"{folder}/forms.json: format {forms.get('format')!r}")
    floats = {}
    for role, f in forms["float-exact"].items():
        p = folder / f["file"]
        if _sha(p) != f["sha256"]:
            sys.exit(f"{p}: SHA-256 differs from forms.json")
        if f["of"] != man["files"][role]["sha256"]:
            sys.exit(f"{p}: 'of' is not the manifest's hash for {role}")
        floats[role] = p
    missing = [r for r in DECODE_ORDER if r not in floats]
    if missing:
        sys.exit(f"{folder}: no float-exact form of {', '.join(missing)}")
    return man, ints, floats


class TorchGraph:
    """An ONNX float-exact graph as PyTorch ops on one device (see the module doc)."""

    def __init__(self, path: Path, device: torch.device, conv: str):
        m = onnx.load(str(path))
        self.g = m.graph
        self.device = device
        self.conv = conv
        self.name = path.name
        self.consts = {
            i.name: torch.from_numpy(numpy_helper.to_array(i).copy()).to(device) for i in self.g.initializer
        }
        self.inputs = [i.name for i in self.g.input if i.name not in self.consts]
        self.outputs = [o.name for o in self.g.output]
        self.nodes = []
        for n in self.g.node:
            a = {x.name: helper.get_attribute_value(x) for x in n.attribute}
            if n.op_type not in self.OPS:
                raise NotImplementedError(f"{self.name}: op {n.op_type} ({n.name}) is not interpreted")
            self.nodes.append((n.op_type, list(n.input), list(n.output), a))

    def _conv(self, x, w, b, a):
        kh, kw = w.shape[2], w.shape[3]
        pads = list(a.get("pads", [0, 0, 0, 0]))
        dil = tuple(a.get("dilations", [1, 1]))
        st = tuple(a.get("strides", [1, 1]))
        grp = int(a.get("group", 1))
        if a.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            raise NotImplementedError(f"{self.name}: Conv auto_pad")
        if pads[0] != pads[2] or pads[1] != pads[3]:
            x = F.pad(x, (pads[1], pads[3], pads[0], pads[2]))
            pads = [0, 0, 0, 0]
        pad = (pads[0], pads[1])
        if self.conv == "cudnn" or grp != 1:
            return F.conv2d(x, w, b, st, pad, dil, grp)
        n, _, h, wd = x.shape
        oh = (h + 2 * pad[0] - dil[0] * (kh - 1) - 1) // st[0] + 1
        ow = (wd + 2 * pad[1] - dil[1] * (kw - 1) - 1) // st[1] + 1
        cols = F.unfold(x, (kh, kw), dilation=dil, padding=pad, stride=st)  # N, C kh kw, L
        y = torch.matmul(w.reshape(w.shape[0], -1), cols)
        if b is not None:
            y = y + b.view(1, -1, 1)
        return y.view(n, w.shape[0], oh, ow)

    @staticmethod
    def _d2s(x, a):
        bs = int(a["blocksize"])
        n, c, h, w = x.shape
        if a.get("mode", b"DCR") in (b"CRD", "CRD"):
            y = x.view(n, c // (bs * bs), bs, bs, h, w).permute(0, 1, 4, 2, 5, 3)
        else:
            y = x.view(n, bs, bs, c // (bs * bs), h, w).permute(0, 3, 4, 1, 5, 2)
        return y.reshape(n, c // (bs * bs), h * bs, w * bs)

    OPS = frozenset(
        "Conv Sub Add Mul Div Floor Clip Cast Concat Transpose DepthToSpace Sign Abs Identity".split()
    )

    def __call__(self, feeds: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        v = dict(self.consts)
        v.update(feeds)

        def arg(ins, i):
            return v[ins[i]] if i < len(ins) and ins[i] else None

        for op, ins, outs, a in self.nodes:
            x = arg(ins, 0)
            if op == "Conv":
                y = self._conv(x, arg(ins, 1), arg(ins, 2), a)
            elif op == "Sub":
                y = x - arg(ins, 1)
            elif op == "Add":
                y = x + arg(ins, 1)
            elif op == "Mul":
                y = x * arg(ins, 1)
            elif op == "Div":
                y = x / arg(ins, 1)
            elif op == "Floor":
                y = torch.floor(x)
            elif op == "Clip":
                lo, hi = arg(ins, 1), arg(ins, 2)
                lo = None if lo is None else lo.to(x.dtype)
                y = torch.clamp(x, lo, None if hi is None else hi.to(x.dtype))
            elif op == "Cast":
                y = x.to(ONNX_TO_TORCH[int(a["to"])])
            elif op == "Concat":
                y = torch.cat([v[i] for i in ins], dim=int(a["axis"]))
            elif op == "Transpose":
                y = x.permute(*a["perm"]).contiguous()
            elif op == "DepthToSpace":
                y = self._d2s(x, a)
            elif op == "Sign":
                y = torch.sign(x)
            elif op == "Abs":
                y = torch.abs(x)
            else:  # Identity
                y = x
            v[outs[0]] = y
        return {o: v[o] for o in self.outputs}


def _session(p: Path | bytes, providers) -> ort.InferenceSession:
    return ort.InferenceSession(str(p) if isinstance(p, Path) else p, providers=providers)


def tiles(kodak: Path, n: int, size: int) -> tuple[list[np.ndarray], str]:
    """n tiles (size x size x 3 uint8) of the Kodak images in raster order, else synthetic."""
    files = sorted(kodak.glob("kodim*.png")) if kodak.is_dir() else []
    out, used = [], []
    if files:
        from PIL import Image

        for f in files:
            img = np.asarray(Image.open(f).convert("RGB"))
            used.append(f.name)
            for y in range(0, img.shape[0] - size + 1, size):
                for x in range(0, img.shape[1] - size + 1, size):
                    out.append(np.ascontiguousarray(img[y : y + size, x : x + size]))
                    if len(out) == n:
                        return out, f"kodak ({', '.join(used)})"
        return out, f"kodak ({', '.join(used)})"
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size]
    for i in range(n):  # smooth gradients, an edge and noise: pixel statistics of a photo, roughly
        base = np.stack([(xx + 3 * i) % 256, (yy * 2) % 256, ((xx + yy) // 2) % 256], -1)
        base = np.where((xx > size // 3)[..., None], 255 - base, base)
        out.append(np.clip(base + rng.normal(0, 6, base.shape), 0, 255).astype(np.uint8))
    return out, "synthetic (no Kodak folder)"


def pix_planes(rgb: np.ndarray, lv: int, p: int) -> np.ndarray:
    """The stage l{lv}p{p}'s pixel planes: phases 0..p-1 of its level, 3 planes each."""
    half = 1 << (lv - 1)
    step = 2 * half
    planes = []
    for qy, qx in PHASES[:p]:
        planes.append(rgb[qy * half :: step, qx * half :: step].transpose(2, 0, 1))
    return np.ascontiguousarray(np.concatenate(planes, 0)[None])


def real_feeds(sess: dict[str, ort.InferenceSession], rgb: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    """Each decode graph's inputs for one tile, computed as the decoder does (integer graphs, CPU)."""
    x = rgb.transpose(2, 0, 1)[None].astype(np.float32)
    e = dict(zip([o.name for o in sess["encoder"].get_outputs()], sess["encoder"].run(None, {"x": x})))
    out = {"dec3": {"z3": e["z3"]}}
    d3 = dict(zip([o.name for o in sess["dec3"].get_outputs()], sess["dec3"].run(None, out["dec3"])))
    out["dec2"] = {"z2": e["z2"], "f3": d3["f3"]}
    d2 = dict(zip([o.name for o in sess["dec2"].get_outputs()], sess["dec2"].run(None, out["dec2"])))
    out["dec1"] = {"z1": e["z1"], "f2": d2["f2"]}
    f1 = sess["dec1"].run(["f1"], out["dec1"])[0]
    feat = {3: d3["h3"], 2: d2["h2"], 1: f1}
    out["base"] = {"f": d3["h3"]}
    for lv in (3, 2, 1):
        for p in (1, 2, 3):
            out[f"l{lv}p{p}"] = {"f": feat[lv], "pix": pix_planes(rgb, lv, p)}
    return out


def synthetic_feeds(real: dict[str, np.ndarray], rng: np.random.Generator) -> list[dict[str, np.ndarray]]:
    """Random bytes and the two extremes, in the real inputs' shapes."""
    rnd = {k: rng.integers(0, 256, a.shape, dtype=np.uint8) for k, a in real.items()}
    lo = {k: np.zeros_like(a) for k, a in real.items()}
    hi = {k: np.full_like(a, 255) for k, a in real.items()}
    return [rnd, lo, hi]


def maxdiff(want: list[np.ndarray], got: list[np.ndarray]) -> int:
    d = 0
    for w, g in zip(want, got):
        if w.shape != g.shape or w.dtype != g.dtype:
            return -1  # shown as "shape"
        d = max(d, int(np.max(np.abs(w.astype(np.int64) - g.astype(np.int64)))) if w.size else 0)
    return d


def timed(fn, reps: int, device: torch.device) -> float:
    best = float("inf")
    for _ in range(reps):
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t = time.perf_counter()
        fn()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        best = min(best, time.perf_counter() - t)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default="models/l3c-pyramid-v5", help="model folder (manifest.json, forms.json)")
    ap.add_argument("--device", default="cuda", help="cuda | cpu | cuda:N")
    ap.add_argument("--tf32", choices=("on", "off"), default="off")
    ap.add_argument("--conv", choices=("cudnn", "gemm"), default="cudnn")
    ap.add_argument("--tiles", type=int, default=4)
    ap.add_argument("--tile", type=int, default=256, help="tile size (a multiple of 8)")
    ap.add_argument("--reps", type=int, default=5, help="timed runs per graph and tile (min is kept)")
    ap.add_argument("--kodak", default=str(ROOT.parent / "shared/datasets/kodak"))
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    a = ap.parse_args(argv)
    if a.tile % 8:
        ap.error("--tile must be a multiple of 8")

    device = torch.device(a.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        print("no CUDA device visible to torch", file=sys.stderr)
        return 2
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False
    torch.backends.cuda.matmul.allow_tf32 = a.tf32 == "on"
    torch.backends.cudnn.allow_tf32 = a.tf32 == "on"
    torch.set_float32_matmul_precision("high" if a.tf32 == "on" else "highest")

    folder = _path(a.model)
    man, ints, floats = load_model(folder)
    cpu = ["CPUExecutionProvider"]
    isess = {r: _session(ints[r], cpu) for r in ["encoder"] + DECODE_ORDER}
    tg = {r: TorchGraph(floats[r], device, a.conv) for r in DECODE_ORDER}
    cuda_ort = "CUDAExecutionProvider" in ort.get_available_providers()
    fsess = {}
    if cuda_ort:
        opts = {"cudnn_conv_algo_search": "DEFAULT", "use_tf32": int(a.tf32 == "on")}  # provider.ts's
        prov = [("CUDAExecutionProvider", opts)]
        fsess = {r: _session(floats[r], prov) for r in DECODE_ORDER}

    imgs, source = tiles(_path(a.kodak), a.tiles, a.tile)
    dev_name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    print(
        f"model {man.get('name', folder.name)} ({len(DECODE_ORDER)} float-exact decode graphs), "
        f"device {dev_name} (torch {torch.__version__}), tf32 {a.tf32}, conv {a.conv},\n"
        f"{len(imgs)} tile(s) of {a.tile} x {a.tile} from {source}, 4 inputs per graph;\n"
        f"onnxruntime {ort.__version__} CUDA provider: {'yes' if cuda_ort else 'no'}",
        flush=True,
    )
    rng = np.random.default_rng(1)
    stats = {r: {"n": 0, "diff": 0, "ms": [], "odiff": 0, "oms": []} for r in DECODE_ORDER}
    for rgb in imgs:
        real = real_feeds(isess, rgb)
        for r in DECODE_ORDER:
            s = stats[r]
            names = [o.name for o in isess[r].get_outputs()]
            for k, feeds in enumerate([real[r]] + synthetic_feeds(real[r], rng)):
                want = isess[r].run(names, feeds)
                tfeeds = {n: torch.from_numpy(v).to(device) for n, v in feeds.items()}
                with torch.inference_mode():
                    res = tg[r](tfeeds)
                    got = [res[n].cpu().numpy() for n in names]
                    if k == 0:
                        s["ms"].append(1e3 * timed(lambda: tg[r](tfeeds), a.reps, device))
                d = maxdiff(want, got)
                s["diff"] = -1 if d < 0 or s["diff"] < 0 else max(s["diff"], d)
                s["n"] += 1
                if fsess:
                    og = fsess[r].run(names, feeds)
                    od = maxdiff(want, og)
                    s["odiff"] = -1 if od < 0 or s["odiff"] < 0 else max(s["odiff"], od)
                    if k == 0:
                        fs = fsess[r]
                        host = torch.device("cpu")
                        s["oms"].append(1e3 * timed(lambda: fs.run(names, feeds), a.reps, host))

    def fmt(d):
        return "shape" if d < 0 else str(d)

    rows = [("graph", "inputs", "max|diff|", "ms/tile", "ort-cuda max|diff|", "ort-cuda ms/tile")]
    total = ototal = 0.0
    bad = 0
    for r in DECODE_ORDER:
        s = stats[r]
        ms = float(np.median(s["ms"]))
        total += ms
        bad += s["diff"] != 0 or (bool(fsess) and s["odiff"] != 0)
        if fsess:
            oms = float(np.median(s["oms"]))
            ototal += oms
        rows.append(
            (r, str(s["n"]), fmt(s["diff"]), f"{ms:.1f}",
             fmt(s["odiff"]) if fsess else "n/a", f"{oms:.1f}" if fsess else "n/a")
        )
    alld = [stats[r]["diff"] for r in DECODE_ORDER]
    mp = a.tile * a.tile / 1e6
    rows.append(
        ("all", str(sum(stats[r]["n"] for r in DECODE_ORDER)), "shape" if min(alld) < 0 else str(max(alld)),
         f"{total:.1f}", "", f"{ototal:.1f}" if fsess else "")
    )
    w = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w[i]) for i, c in enumerate(row)).rstrip())
    print(
        f"networks: {mp / (total / 1e3):.3f} MP/s on {dev_name} (torch, per tile, median over tiles of min of "
        f"{a.reps}, no transfers)"
        + (f"; {mp / (ototal / 1e3):.3f} MP/s onnxruntime CUDA (with transfers)" if fsess else "")
    )
    if bad:
        print(f"NOT EXACT: {bad} graph(s) differ from the integer graphs", file=sys.stderr)
        return 1
    print("exact: every output of every float-exact graph equals the integer graph's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
