"""Driver: exact code lengths of the adaptive stage variants on cached stage params."""
import ctypes as C
import json
import os
import re
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("CACHE", "/tmp/l3c-cache"))
NF = 38


class Cfg(C.Structure):
    _fields_ = [("feat_mask_lo", C.c_int), ("feat_mask_hi", C.c_int), ("lam", C.c_double), ("decay_ls", C.c_double),
                ("wpow", C.c_double), ("clip", C.c_double), ("nband", C.c_int), ("decay_b", C.c_double),
                ("n0", C.c_double), ("nsb", C.c_int), ("t_act", C.c_int), ("decay_t", C.c_double),
                ("decay_m", C.c_double), ("do_temp", C.c_int), ("do_mix", C.c_int), ("stage_mask", C.c_int),
                ("prior_scale", C.c_double), ("ls_every", C.c_int), ("temp_mode", C.c_int), ("temp_every", C.c_int), ("temp_off", C.c_double),
                ("rho", C.c_double)]


DEFAULT = dict(feats=list(range(NF)), lam=100.0, decay_ls=0.98, wpow=1.0, clip=1.0, nband=3, decay_b=0.995, n0=8.0,
               nsb=6, t_act=4, decay_t=0.99, decay_m=0.99, do_temp=1, do_mix=1, stage_mask=(1 << 13) - 1,
               prior_scale=1.0, ls_every=1, temp_mode=0, temp_every=1, temp_off=0.0, rho=1.0)

_lib = None


def lib():
    global _lib
    if _lib is None:
        _lib = C.CDLL(str(HERE / os.environ.get("LIB", "research.so")))
        src = (HERE.parents[2] / "shared" / "mixture-tables.ts").read_text()
        arrs = re.findall(r"new Int32Array\(\[([^\]]*)\]", src)
        sig, ex = (np.array([int(v) for v in a.replace("\n", " ").split(",") if v.strip()], dtype=np.int32) for a in arrs)
        _lib.init_tables(sig.ctypes.data_as(C.c_void_p), ex.ctypes.data_as(C.c_void_p))
        _lib.tile_bits.restype = C.c_int
    return _lib


def make_cfg(d):
    d = {**DEFAULT, **d}
    lo = sum(1 << i for i in d["feats"] if i < 32)
    hi = sum(1 << (i - 32) for i in d["feats"] if i >= 32)
    return Cfg(lo, hi, d["lam"], d["decay_ls"], d["wpow"], d["clip"], d["nband"], d["decay_b"], d["n0"], d["nsb"],
               d["t_act"], d["decay_t"], d["decay_m"], d["do_temp"], d["do_mix"], d["stage_mask"], d["prior_scale"],
               d["ls_every"], d["temp_mode"], d["temp_every"], d["temp_off"], d["rho"]), d


def image_bits(args):
    path, cfgd, theta0, want_stats = args
    L = lib()
    cfg, d = make_cfg(cfgd)
    z = np.load(path)
    ntiles = len(z["zbits"])
    bits = np.zeros((5, 10))
    stats = np.zeros((10, 3, d["nband"], NF * NF + NF)) if want_stats else None
    th = None if theta0 is None else np.ascontiguousarray(theta0, dtype=np.float64)
    for n in range(ntiles):
        px = np.ascontiguousarray(z[f"t{n}_px"])
        h, w = px.shape[:2]
        prms = [np.ascontiguousarray(z[f"t{n}_s{j}"]) for j in range(10)]
        K = prms[0].shape[-1] // 12
        arr = (C.c_void_p * 10)(*[p.ctypes.data for p in prms])
        b = np.zeros((5, 10))
        L.tile_bits(px.ctypes.data_as(C.c_void_p), h, w, K, arr, C.byref(cfg),
                    th.ctypes.data_as(C.c_void_p) if th is not None else None,
                    b.ctypes.data_as(C.c_void_p), stats.ctypes.data_as(C.c_void_p) if want_stats else None)
        bits += b
    sub = int(np.prod(z["shape"]))
    return {"name": Path(path).stem, "sub": sub, "zbits": float(z["zbits"].sum()), "bits": bits, "stats": stats}


def run_set(sname, cfgd, theta0=None, want_stats=False, procs=2, limit=None):
    files = sorted((CACHE / sname).glob("*.npz"))[:limit]
    with Pool(procs) as pool:
        res = pool.map(image_bits, [(str(f), cfgd, theta0, want_stats) for f in files])
    return res


def summarize(res, label=""):
    sub = sum(r["sub"] for r in res)
    z = sum(r["zbits"] for r in res)
    B = sum(r["bits"] for r in res)
    tot = B.sum(1) + z
    names = ["net", "LS", "+bias", "+temp", "+mix"]
    out = " ".join(f"{n}={t / sub:.4f}({100 * (t / tot[0] - 1):+.2f}%)" for n, t in zip(names, tot))
    print(f"{label} {out}", flush=True)
    return tot / sub


if __name__ == "__main__":
    sets = sys.argv[1].split(",")
    cfgs = [json.loads(a) for a in sys.argv[2:]] or [{}]
    for cfgd in cfgs:
        for s in sets:
            t0 = time.time()
            res = run_set(s, cfgd)
            summarize(res, f"{s} {json.dumps(cfgd)} {time.time() - t0:.0f}s")
