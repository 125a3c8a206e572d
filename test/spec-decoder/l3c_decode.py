#!/usr/bin/env python3
"""Independent decoder of the .l3c format, written from SPEC.md alone.

CLI: python l3c_decode.py in.l3c out.{ppm,pgm,pam,raw}
  .ppm/.pgm/.pam: Netpbm; anything else: raw interleaved pixels (the vector runner's format).
  On failure: prints the error code first on stderr and exits 1.
"""
import os
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from l3c_errors import L3CError  # noqa: E402
from l3c_container import parse_header, tile_rect, BPP  # noqa: E402
from l3c_rangecoder import Decoder  # noqa: E402
from l3c_mixture import prepare, Cdf, shift_g, shift_b  # noqa: E402
from l3c_model import Model, find_model  # noqa: E402

PHASES = [(0, 0), (1, 1), (0, 1), (1, 0)]


def pyramid_stages():
    """§4.4: (role, features, T, (oy, ox), context offsets)."""
    st = [("base", "h3", 8, (0, 0), [])]
    for l, feat in ((3, "h3"), (2, "h2"), (1, "f1")):
        u = 2 ** (l - 1)
        for p in (1, 2, 3):
            st.append((f"l{l}p{p}", feat, 2 * u, (PHASES[p][0] * u, PHASES[p][1] * u),
                       [(a * u, b * u) for a, b in PHASES[:p]]))
    return st


def phase4_stages():
    return [(f"head{p}", "f1", 2, PHASES[p], list(PHASES[:p])) for p in range(4)]


def decode_z(dec, cdf_for, C, zh, zw):
    z = np.zeros((1, C, zh, zw), dtype=np.uint8)
    for c in range(C):
        for y in range(zh):
            for x in range(zw):
                cdf, n = cdf_for(c, y, x)
                z[0, c, y, x] = dec.decode_cdf_fn(cdf, n)
    return z


def z_mixture(params, c, i, C, K, L):
    p = params[i]
    base = c * K
    return p[base:base + K], p[C * K + base:C * K + base + K], p[2 * C * K + base:2 * C * K + base + K]


def decode_coded_tile(payload, model, w, h):
    """§4: returns img[c][y][x] (lists of ints) for the tile."""
    dec = Decoder(payload)
    C, Cf, K, L = model.C, model.Cf, model.K, model.L
    W, H = 8 * -(-w // 8), 8 * -(-h // 8)
    pyr = model.rgb_context == "pyramid"
    # 1. z3
    if model.z3_cdf is not None:
        tabs = model.z3_cdf
    else:
        tabs = [[(i * 65536) // L for i in range(L + 1)] for _ in range(C)]
    z3 = decode_z(dec, lambda c, y, x: ((lambda v, t=tabs[c]: t[v]), L), C, H // 8, W // 8)
    # 2. dec3
    want = {"f3": (np.uint8, (1, Cf, H // 4, W // 4)), "z2_params": (np.int32, (1, H // 4, W // 4, 3 * C * K))}
    if pyr:
        want["h3"] = (np.uint8, (1, Cf, H // 8, W // 8))
    o3 = model.run("dec3", {"z3": z3}, want)
    # 3. z2
    zh, zw = H // 4, W // 4
    zp = o3["z2_params"].reshape(zh * zw, 3 * C * K).tolist()
    if model.A >= 3:
        from l3c_adapt import Z2Adapt
        za = Z2Adapt(C, zh, zw, L)
        z2 = np.zeros((1, C, zh, zw), dtype=np.uint8)
        for c in range(C):
            for y in range(zh):
                za.row_start(y)
                for x in range(zw):
                    lg, mu, ls = z_mixture(zp, c, y * zw + x, C, K, L)
                    cdf, st = za.symbol(c, y, x, lg, mu, ls)
                    v = dec.decode_cdf_fn(cdf, L)
                    z2[0, c, y, x] = v
                    za.update(st, v)
                za.row_end()
    else:
        def z2cdf(c, y, x):
            lg, mu, ls = z_mixture(zp, c, y * zw + x, C, K, L)
            return Cdf(L, *prepare(L, lg, mu, ls)), L
        z2 = decode_z(dec, z2cdf, C, zh, zw)
    # 4. dec2
    want = {"f2": (np.uint8, (1, Cf, H // 2, W // 2))}
    if model.z1 == "coded":
        want["z1_params"] = (np.int32, (1, H // 2, W // 2, 3 * C * K))
    if pyr:
        want["h2"] = (np.uint8, (1, Cf, H // 4, W // 4))
    o2 = model.run("dec2", {"z2": z2, "f3": o3["f3"]}, want)
    # 5. z1 (config z1 "none": not coded, the middle level everywhere)
    z1h, z1w = H // 2, W // 2
    if model.z1 == "none":
        z1 = np.full((1, C, z1h, z1w), (L - 1) // 2, dtype=np.uint8)
    else:
        zp1 = o2["z1_params"].reshape(z1h * z1w, 3 * C * K).tolist()

        def z1cdf(c, y, x):
            lg, mu, ls = z_mixture(zp1, c, y * z1w + x, C, K, L)
            return Cdf(L, *prepare(L, lg, mu, ls)), L
        z1 = decode_z(dec, z1cdf, C, z1h, z1w)
    # 6. dec1
    o1 = model.run("dec1", {"z1": z1, "f2": o2["f2"]}, {"f1": (np.uint8, (1, Cf, H // 2, W // 2))})
    feats = {"f1": o1["f1"]}
    if pyr:
        feats["h3"], feats["h2"] = o3["h3"], o2["h2"]
    # 7. pixel stages
    img = [[[0] * w for _ in range(h)] for _ in range(3)]
    ad = None
    if model.A > 0:
        from l3c_adapt import PixelAdapt
        ad = PixelAdapt(model.A, img, w, h)
    stages = pyramid_stages() if pyr else phase4_stages()
    for s, (role, feat, T, (oy, ox), ctxs) in enumerate(stages):
        gh, gw = H // T, W // T
        inputs = {("f" if pyr else "f1"): feats[feat]}
        if ctxs:
            pix = np.full((1, 3 * len(ctxs), gh, gw), 128, dtype=np.uint8)
            for j, (qy, qx) in enumerate(ctxs):
                for gy in range(gh):
                    y = gy * T + qy
                    if y >= h:
                        continue
                    for gx in range(gw):
                        x = gx * T + qx
                        if x >= w:
                            continue
                        for c in range(3):
                            pix[0, 3 * j + c, gy, gx] = img[c][y][x]
            inputs["pix"] = pix
        out = model.run(role, inputs, {"params": (np.int32, (1, gh, gw, 12 * K))})
        params = out["params"].reshape(gh, gw, 12 * K)
        gy = 0
        while gy * T + oy < h:
            y = gy * T + oy
            if ad:
                ad.row_start(s)
            prow = params[gy].tolist()
            gx = 0
            while gx * T + ox < w:
                x = gx * T + ox
                p = prow[gx]
                xv = [0, 0, 0]
                rv = [0.0, 0.0, 0.0]
                for c in range(3):
                    lg = p[c * K:(c + 1) * K]
                    mu = p[3 * K + c * K:3 * K + (c + 1) * K]
                    ls = p[6 * K + c * K:6 * K + (c + 1) * K]
                    if c == 0:
                        sh = None
                    elif c == 1:
                        sh = [shift_g(p[9 * K + k], xv[0]) for k in range(K)]
                    else:
                        sh = [shift_b(p[10 * K + k], p[11 * K + k], xv[0], xv[1]) for k in range(K)]
                    if ad:
                        cdf, st = ad.subpixel(s, T, c, y, x, xv, rv, lg, mu, ls, sh)
                    else:
                        cdf = Cdf(256, *prepare(256, lg, mu, ls, sh))
                    v = dec.decode_cdf_fn(cdf, 256)
                    xv[c] = v
                    img[c][y][x] = v
                    if ad:
                        ad.update(st, v, rv)
                gx += 1
            if ad:
                ad.row_end(s)
            gy += 1
    return img


def decode(data, model_dirs=None):
    """Returns (width, height, channels, pixel bytes) or raises L3CError."""
    hd = parse_header(data)
    model = None
    if hd.model_id != bytes(32):
        folder = find_model(hd.model_id, model_dirs)
        if folder is None:
            raise L3CError("UNKNOWN_MODEL")
        model = Model(folder)
    bpp = BPP[hd.layout]
    out = bytearray(hd.width * hd.height * bpp)
    for t, (off, bl, pcrc) in enumerate(hd.tiles):
        x0, y0, w, h = tile_rect(hd, t)
        payload = data[off:off + bl]
        mode = payload[0]
        if mode == 0:
            if bl != 1 + w * h * bpp:
                raise L3CError("BAD_TILE", f"tile {t}: stored length")
            px = bytes(payload[1:])
            if hd.layout == 3 and any(b != 255 for b in px[3::4]):
                raise L3CError("BAD_TILE", f"tile {t}: alpha")
        elif mode == 1:
            if model is None:
                raise L3CError("BAD_TILE", f"tile {t}: coded tile without a model")
            img = decode_coded_tile(bytes(payload[1:]), model, w, h)
            buf = bytearray()
            for y in range(h):
                for x in range(w):
                    r, g, b = img[0][y][x], img[1][y][x], img[2][y][x]
                    if hd.layout == 1:
                        buf += bytes((r, g, b))
                    elif hd.layout == 2:
                        if not (r == g == b):
                            raise L3CError("BAD_TILE", f"tile {t}: gray pixel with R, G, B differing")
                        buf.append(r)
                    else:
                        buf += bytes((r, g, b, 255))
            px = bytes(buf)
        else:
            raise L3CError("BAD_TILE", f"tile {t}: mode {mode}")
        if zlib.crc32(px) != pcrc:
            raise L3CError("PIXEL_CHECKSUM", f"tile {t}")
        rowb = w * bpp
        for y in range(h):
            o = ((y0 + y) * hd.width + x0) * bpp
            out[o:o + rowb] = px[y * rowb:(y + 1) * rowb]
    return hd.width, hd.height, bpp, bytes(out)


def write_image(path, width, height, ch, px):
    ext = os.path.splitext(path)[1].lower()
    with open(path, "wb") as f:
        if ext == ".ppm" and ch == 3 or ext == ".pgm" and ch == 1:
            f.write(b"P%d\n%d %d\n255\n" % (6 if ch == 3 else 5, width, height) + px)
        elif ext in (".ppm", ".pgm", ".pam"):
            tt = {1: b"GRAYSCALE", 3: b"RGB", 4: b"RGB_ALPHA"}[ch]
            f.write(b"P7\nWIDTH %d\nHEIGHT %d\nDEPTH %d\nMAXVAL 255\nTUPLTYPE %s\nENDHDR\n" % (width, height, ch, tt) + px)
        else:
            f.write(px)


def main(argv):
    if len(argv) != 3:
        print("usage: l3c_decode.py in.l3c out.(ppm|pgm|pam|raw)", file=sys.stderr)
        return 2
    with open(argv[1], "rb") as f:
        data = f.read()
    try:
        width, height, ch, px = decode(data)
    except L3CError as e:
        print(e.code, str(e), file=sys.stderr)
        return 1
    write_image(argv[2], width, height, ch, px)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
