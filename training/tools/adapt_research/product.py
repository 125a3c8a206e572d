"""Real bytes of the pixel stages through the product entropy core (shared/wasm/build/l3c-core.so,
`npm run build:wasm -- --native`) on cached stage params, with and without the adaptive stage;
z bits added from the cache (exact integer code lengths).
CACHE=<stage_cache.py output> [ADAPT=0,1,2] [PROCS=2] [CORE=<l3c-core.so>] [LIMIT=n] python product.py val,kodak
(ADAPT: the schemes to measure, 0 none, 1..4 adapt-1..adapt-4; default 0,1,2. CORE: another
native build of the core, e.g. one compiled with -DSSE_BINS=32 to try a constant. LIMIT: the
first n images of each set.)"""
import ctypes as C, os, sys, numpy as np
from pathlib import Path
from multiprocessing import Pool
def load(path=None):
    """The native core (default: the product build) with its exports' types set."""
    L = C.CDLL(path or os.environ.get('CORE') or str(Path(__file__).resolve().parents[3] / 'shared' / 'wasm' / 'build' / 'l3c-core.so'))
    for f in ('l3c_alloc', 'l3c_encoder_new', 'l3c_tile_new'): getattr(L, f).restype = C.c_void_p
    L.l3c_mark.restype = C.c_size_t
    L.l3c_encoder_finish.argtypes = [C.c_void_p]
    L.l3c_coder_error.argtypes = [C.c_void_p]
    L.l3c_release.argtypes = [C.c_size_t]
    L.l3c_encoder_new.argtypes = [C.c_void_p, C.c_uint32]
    L.l3c_tile_new.argtypes = [C.c_int, C.c_int, C.c_int]
    L.l3c_code_stage.argtypes = [C.c_int, C.c_void_p, C.c_void_p, C.c_int, C.c_void_p, C.c_int, C.c_int, C.c_int, C.c_int, C.c_void_p]
    return L
lib = None
PH = [(0, 0), (1, 1), (0, 1), (1, 0)]
def geo():
    out = [(8, 0, 0)]
    for lv in (3, 2, 1):
        h = 1 << (lv - 1)
        for p in (1, 2, 3): out.append((2 * h, PH[p][0] * h, PH[p][1] * h))
    return out
G = geo()
def encode_image(L, z, adapt):
    """Bytes of every cached tile of one image (npz z) coded by the core L under scheme adapt."""
    total = 0
    for t in range(len(z['zbits'])):
        px = np.ascontiguousarray(z[f't{t}_px']); h, w = px.shape[:2]
        mark = L.l3c_mark()
        cap = 3 * h * w * 3 + 64
        buf = L.l3c_alloc(cap); e = L.l3c_encoder_new(buf, cap); tile = L.l3c_tile_new(w, h, adapt)
        rgb = px.copy()
        for s, (step, oy, ox) in enumerate(G):
            prm = np.ascontiguousarray(z[f't{t}_s{s}'])
            L.l3c_code_stage(0, e, tile, s, prm.ctypes.data, prm.shape[-1] // 12, step, oy, ox, rgb.ctypes.data)
        nb = L.l3c_encoder_finish(e); assert L.l3c_coder_error(e) == 0
        total += nb
        L.l3c_release(mark)
    return total
def one(args):
    global lib
    path, adapt = args
    if lib is None: lib = load()
    z = np.load(path)
    return encode_image(lib, z, adapt) * 8, int(np.prod(z['shape'])), float(z['zbits'].sum())
if __name__ == '__main__':
    for s in sys.argv[1].split(','):
        files = sorted(Path(os.environ.get('CACHE', '/tmp/l3c-cache'), s).glob('*.npz'))[:int(os.environ.get('LIMIT', '100000'))]
        for adapt in [int(a) for a in os.environ.get('ADAPT', '0,1,2').split(',')]:
            with Pool(int(os.environ.get('PROCS', '2'))) as p: r = p.map(one, [(str(f), adapt) for f in files])
            B = sum(x[0] for x in r); N = sum(x[1] for x in r); Z = sum(x[2] for x in r)
            print(s, 'adapt', adapt, 'x bytes bpsp', round(B / N, 4), 'with z', round((B + Z) / N, 4), flush=True)
