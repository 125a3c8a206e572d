"""Real bytes of the z2 symbols through the product entropy core, plain (adapt-0..2) and with
adapt-3's z2 stage (shared/adaptive-stage.ts, "adapt-3"), per image set, tiles of 256.
Runs the model's encoder and dec3 graphs only (a few minutes for validation + Kodak).

    (cd .. && npm run build:wasm -- --native)
    .venv/bin/python tools/adapt_research/z2_stage.py --model ../models/l3c-pyramid-v4 --set val --set kodak
"""
import argparse, ctypes as C, sys
from multiprocessing import Pool
from pathlib import Path
import numpy as np
ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "training"))
from l3c.image_sets import load_named_set  # noqa: E402
from l3c.intmodel import IntModel  # noqa: E402

lib = C.CDLL(str(ROOT / "shared" / "wasm" / "build" / "l3c-core.so"))
for f in ("l3c_alloc", "l3c_encoder_new"): getattr(lib, f).restype = C.c_void_p
lib.l3c_mark.restype = C.c_size_t
lib.l3c_alloc.argtypes = [C.c_uint32]
lib.l3c_release.argtypes = [C.c_size_t]
lib.l3c_encoder_new.argtypes = [C.c_void_p, C.c_uint32]
lib.l3c_encoder_finish.argtypes = [C.c_void_p]
lib.l3c_coder_error.argtypes = [C.c_void_p]
lib.l3c_code_z.argtypes = [C.c_int, C.c_void_p, C.c_void_p] + [C.c_int] * 4 + [C.c_void_p]
lib.l3c_code_z2a.argtypes = [C.c_int, C.c_void_p, C.c_void_p] + [C.c_int] * 5 + [C.c_void_p, C.c_void_p]


def z2_bits(z2: np.ndarray, prm: np.ndarray, L: int, adaptive: bool) -> int:
    """Range-coded bits of one tile's z2 (C x h x w) under its params (h, w, 3 C K)."""
    Cc, h, w = z2.shape
    K = prm.shape[-1] // (3 * Cc)
    mark = lib.l3c_mark()
    cap = 3 * z2.size + 64
    e = lib.l3c_encoder_new(lib.l3c_alloc(cap), cap)
    if adaptive:
        lib.l3c_code_z2a(0, e, prm.ctypes.data, Cc, K, L, h, w, z2.ctypes.data, lib.l3c_alloc(16 * z2.size))
    else:
        lib.l3c_code_z(0, e, prm.ctypes.data, Cc, K, L, h * w, z2.ctypes.data)
    n = lib.l3c_encoder_finish(e)
    assert lib.l3c_coder_error(e) == 0
    lib.l3c_release(mark)
    return 8 * n


def one(args):
    model_dir, img = args
    m = IntModel(Path(model_dir))
    L = m.cfg["L"]
    out = np.zeros(2)
    for y in range(0, img.shape[0], 256):
        for x in range(0, img.shape[1], 256):
            t = img[y:y + 256, x:x + 256]
            h, w = t.shape[:2]
            xp = np.pad(t, ((0, (-h) % 8), (0, (-w) % 8), (0, 0)), mode="edge")
            _, z2, z3 = m.run("encoder", x=xp.transpose(2, 0, 1)[None].astype(np.float32))
            prm = np.ascontiguousarray(m.run("dec3", z3=z3)[1][0].astype(np.int32))
            z2 = np.ascontiguousarray(z2[0])
            out += [z2_bits(z2, prm, L, False), z2_bits(z2, prm, L, True)]
    return out, img.size


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, required=True)
    p.add_argument("--set", action="append", default=[])
    p.add_argument("--procs", type=int, default=2)
    a = p.parse_args()
    for s in a.set:
        data = load_named_set(s)
        with Pool(a.procs) as pool:
            r = pool.map(one, [(str(a.model), img) for img in data.images])
        B = sum(x[0] for x in r)
        N = sum(x[1] for x in r)
        print(f"{s}: z2 bpsp plain {B[0] / N:.4f}, adapt-3 {B[1] / N:.4f} ({100 * (B[1] - B[0]) / B[0]:+.1f}% of z2)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
