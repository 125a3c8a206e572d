"""Adaptive stages adapt-1/2/3/4/5/6, SPEC.md §7. All float arithmetic is Python float
(IEEE binary64), evaluated exactly in the order the spec writes it."""
import math
from l3c_mixture import prepare, contract, Cdf, SseCdf
from l3c_tables import ADAPT_TAU_U, ADAPT_TAU_MIN

NF = 30
ZF = 21
LAMBDA = 30.0
PIVOT_MIN = float("1e-12")
DECAY_LS = float("0.98")
DECAY_TEMP = float("0.99")
VAR_MIN = float("1e-6")
V = 3.289868133696453
SD_EDGES = [0.8, 1.89, 4.47, 10.57, 25.0]
ACT_EDGES = [0.5, 0.8, 1.2]
RHO = 0.25
CLIP2 = 3.0
ZRHO = 0.5
ZDECAY = 0.9
SSE_BINS = 16
SSE_PRIOR = 4.0
SSE_D_EDGES = [-0.6, -0.2, 0.2, 0.6]
SSE_E_EDGES = [-1.0, -0.3, 0.0, 0.3, 1.0]
ACT_PREV = 0.5
# §7.12: adapt-6's pixel stages
LAMBDA6 = 20.0
DECAY_LS6 = float("0.95")
DECAY_LS6_L1 = float("0.93")
DECAY_TEMP6 = float("0.98")
RHO6 = 0.4
SSE_PRIOR6 = 2.0

# §7.4 tables, offsets (a, b) in units of u
PREV = {1: [(-1, -1), (-1, 1), (1, -1), (1, 1)],
        2: [(-1, 0), (1, 0)],
        3: [(0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]}
HPAIR = {1: [(-1, -1), (1, 1)], 2: [(0, -1), (0, 1)], 3: [(0, -1), (0, 1)]}
VPAIR = {1: [(-1, 1), (1, -1)], 2: [(-1, 0), (1, 0)], 3: [(-1, 0), (1, 0)]}
NB8 = {1: [(-1, -1), (-1, 1), (1, -1), (1, 1), (-1, -3), (-1, 3), (1, -3), (1, 3)],
       2: [(0, -1), (0, 1), (-1, 0), (1, 0), (-2, -1), (-2, 1), (2, -1), (2, 1)],
       3: [(-1, 0), (1, 0), (0, -1), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1)]}


def fsum(terms):
    acc = 0.0
    for t in terms:
        acc = acc + t
    return acc


def moments(n, w, M, g, A, rho):
    """§7.3: returns m, sd, vt."""
    M1 = 0.0
    M2 = 0.0
    MC = 0.0
    for k in range(len(w)):
        wk = float(w[k])
        mu = M[k] / 256
        s = 1048576 / g[k]
        cv = (s * s) * V
        M1 = M1 + wk * mu
        M2 = M2 + wk * (cv + mu * mu)
        MC = MC + wk * cv
    m = M1 / 32768
    v = M2 / 32768 - m * m
    sd = math.sqrt(v if v > VAR_MIN else VAR_MIN)
    if A == 1:
        vt = sd * sd
    else:
        vc = MC / 32768
        vr = vc + (rho * rho) * (v - vc)
        vt = vr if vr > VAR_MIN else VAR_MIN
    return m, sd, vt


def lsadd_of(E, S):
    if not (S > 0):
        return 0
    cnt = 0
    for u in ADAPT_TAU_U:
        if E > S * u:
            cnt += 1
    return ADAPT_TAU_MIN + cnt


def ridge_solve(A, b, n, lam):
    L = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            t = A[j][i] + (lam if i == j else 0.0)
            Li = L[i]
            Lj = L[j]
            for k in range(j):
                t = t - Li[k] * Lj[k]
            if i == j:
                L[i][i] = math.sqrt(t if t > PIVOT_MIN else PIVOT_MIN)
            else:
                L[i][j] = t / L[j][j]
    y = [0.0] * n
    for i in range(n):
        t = b[i]
        for k in range(i):
            t = t - L[i][k] * y[k]
        y[i] = t / L[i][i]
    theta = [0.0] * n
    for i in range(n - 1, -1, -1):
        t = y[i]
        for k in range(i + 1, n):
            t = t - L[k][i] * theta[k]
        theta[i] = t / L[i][i]
    return theta


class Group:
    def __init__(self, n):
        self.n = n
        self.A = [[0.0] * n for _ in range(n)]
        self.b = [0.0] * n
        self.theta = [0.0] * n
        self.dirty = False

    def update(self, F, r, wt):
        n = self.n
        A = self.A
        for i in range(n):
            f = wt * F[i]
            Ai = A[i]
            for j in range(i, n):
                Ai[j] = Ai[j] + f * F[j]
            self.b[i] = self.b[i] + f * r

    def decay(self, fac):
        n = self.n
        for i in range(n):
            Ai = self.A[i]
            for j in range(i, n):
                Ai[j] = Ai[j] * fac
            self.b[i] = self.b[i] * fac

    def solve(self, lam=LAMBDA):
        self.theta = ridge_solve(self.A, self.b, self.n, lam)

    def predict(self, F):
        d = 0.0
        for i in range(self.n):
            d = d + self.theta[i] * F[i]
        return d


class PixelAdapt:
    """State of §7.2 for one tile; known = the tile's decoded RGB planes img[c][y][x]."""

    def __init__(self, A, img, w, h):
        self.A = A
        self.known = img
        self.w, self.h = w, h
        self.res = [[[0.0] * w for _ in range(h)] for _ in range(3)]
        self.err = [[[0.0] * w for _ in range(h)] for _ in range(3)]
        self.groups = {(s, c): Group(NF) for s in range(10) for c in range(3)}
        self.ctx = {}
        self.hist = {}  # adapt-4, adapt-5: (kind, s, c, sb, q) -> histogram

    def _hist(self, key):
        H = self.hist.get(key)
        if H is None:
            H = [0.0] * SSE_BINS
            self.hist[key] = H
        return H

    def _table(self, H):
        """§7.10: a context's table from its histogram."""
        prior = SSE_PRIOR6 if self.A == 6 else SSE_PRIOR
        total = 0.0
        for j in range(SSE_BINS):
            total = total + (H[j] + prior)
        scale = 2.0 ** 24 / total
        T = [0]
        run = 0.0
        for j in range(SSE_BINS - 1):
            run = run + (H[j] + prior)
            T.append(math.floor(run * scale))
        T.append(2 ** 24)
        return T

    @staticmethod
    def _add(H, lo, hi):
        W = 2 ** 20

        def b_(x):
            return min(x // W, SSE_BINS - 1)

        if not (hi > lo):
            H[b_(lo)] = H[b_(lo)] + 1.0
            return
        for j in range(b_(lo), b_(hi - 1) + 1):
            a = max(j * W, lo)
            b = min((j + 1) * W, hi)
            H[j] = H[j] + (b - a) / (hi - lo)

    def _ctx(self, key):
        e = self.ctx.get(key)
        if e is None:
            e = [0.0, 0.0]
            self.ctx[key] = e
        return e

    def row_start(self, s):
        for c in range(3):
            g = self.groups[(s, c)]
            if g.dirty:
                g.solve(LAMBDA6 if self.A == 6 else LAMBDA)
                g.dirty = False

    def row_end(self, s):
        dls, dtemp = DECAY_LS, DECAY_TEMP
        if self.A == 6:  # §7.12
            dls = DECAY_LS6_L1 if s >= 7 else DECAY_LS6
            dtemp = DECAY_TEMP6
        for c in range(3):
            self.groups[(s, c)].decay(dls)
        for sb in range(6):
            for ab in range(4):
                for c in range(3):
                    e = self._ctx((s, c, sb, ab))
                    e[0] = e[0] * dtemp
                    e[1] = e[1] * dtemp

    def features(self, s, T, c, y, x, m, xv, rv):
        known, res, err, w, h = self.known, self.res, self.err, self.w, self.h
        F = [0.0] * NF
        F[0] = 1.0
        if c >= 1:
            F[1] = rv[0]
        if c == 2:
            F[2] = rv[1]
        for q, (dy, dx) in enumerate(((0, -T), (-T, 0), (-T, -T), (-T, T))):
            yy, xx = y + dy, x + dx
            if yy >= 0 and xx >= 0 and xx < w:
                F[3 + q] = res[c][yy][xx]
                F[21 + q] = known[c][yy][xx] - m
                F[25 + q] = err[c][yy][xx]
        u = T // 2
        if s == 0:
            Wv = F[21] + m
            Nv = F[22] + m
            NWv = F[23] + m
            NEv = F[24] + m
            mx = Wv if Wv > Nv else Nv
            mn = Wv if Wv < Nv else Nv
            if NWv >= mx:
                med = mn
            elif NWv <= mn:
                med = mx
            else:
                med = (Wv + Nv) - NWv
            F[8] = med - m
            F[9] = 0.5 * (Wv + NEv) - m
            for cp in range(c):
                Wc = known[cp][y][x - T] if x - T >= 0 else xv[cp]
                Nc = known[cp][y - T][x] if y - T >= 0 else xv[cp]
                F[11 + cp] = (xv[cp] + 0.5 * ((Wv - Wc) + (Nv - Nc))) - m
            return F
        oy, ox = y % T, x % T
        pt = 1 if (oy, ox) == (u, u) else 2 if (oy, ox) == (0, u) else 3

        def nb(a, b):
            yy = y + a * u
            if yy < 0 or yy >= h:
                yy = y - a * u
            xx = x + b * u
            if xx < 0 or xx >= w:
                xx = x - b * u
            if yy < 0 or yy >= h or xx < 0 or xx >= w:
                return None
            return yy, xx

        def Known(cc, o, default):
            p = nb(*o)
            return default if p is None else float(known[cc][p[0]][p[1]])

        ep = 0.0
        ee = 0.0
        for o in PREV[pt]:
            p = nb(*o)
            if p is not None:
                ep = ep + res[c][p[0]][p[1]]
                ee = ee + err[c][p[0]][p[1]]
        cnt = float(len(PREV[pt]))
        F[7] = ep / cnt
        F[29] = ee / cnt
        H0 = Known(c, HPAIR[pt][0], m)
        H1 = Known(c, HPAIR[pt][1], m)
        V0 = Known(c, VPAIR[pt][0], m)
        V1 = Known(c, VPAIR[pt][1], m)
        Ph = 0.5 * (H0 + H1)
        Pv = 0.5 * (V0 + V1)
        gh = abs(H0 - H1)
        gv = abs(V0 - V1)
        wh = 1 / ((gh + 1) * (gh + 1))
        wv = 1 / ((gv + 1) * (gv + 1))
        F[8] = Ph - m
        F[9] = Pv - m
        F[10] = (wh * Ph + wv * Pv) / (wh + wv) - m
        for cp in range(c):
            xc = float(xv[cp])
            Hc0 = Known(cp, HPAIR[pt][0], xc)
            Hc1 = Known(cp, HPAIR[pt][1], xc)
            Vc0 = Known(cp, VPAIR[pt][0], xc)
            Vc1 = Known(cp, VPAIR[pt][1], xc)
            dh = 0.5 * ((H0 - Hc0) + (H1 - Hc1))
            dv = 0.5 * ((V0 - Vc0) + (V1 - Vc1))
            g1 = gh + abs(Hc0 - Hc1)
            g2 = gv + abs(Vc0 - Vc1)
            w1 = 1 / ((g1 + 1) * (g1 + 1))
            w2 = 1 / ((g2 + 1) * (g2 + 1))
            F[11 + cp] = (xc + (w1 * dh + w2 * dv) / (w1 + w2)) - m
        for q in range(8):
            F[13 + q] = Known(c, NB8[pt][q], m) - m
        return F

    def subpixel(self, s, T, c, y, x, xv, rv, logits, means, lss, shifts):
        """Steps 1-4: returns (Cdf, state for update)."""
        n = 256
        A = self.A
        w, M, g = prepare(n, logits, means, lss, shifts)
        rho = RHO6 if A == 6 else RHO
        m, sd, vt = moments(n, w, M, g, A, rho)
        F = self.features(s, T, c, y, x, m, xv, rv)
        grp = self.groups[(s, c)]
        d = grp.predict(F)
        lim = sd + 1 if A == 1 else CLIP2 * sd + 1
        if d > lim:
            d = lim
        if d < -lim:
            d = -lim
        madd = math.floor(d * 256 + 0.5)
        if A >= 5:  # §7.11 item 2
            act = ((((abs(F[25]) + abs(F[26])) + abs(F[27])) + abs(F[28])) + 2 * abs(F[29])) / 6
            if c >= 1:
                act = act + ACT_PREV * abs(rv[c - 1])
        else:
            act = ((((abs(F[3]) + abs(F[4])) + abs(F[5])) + abs(F[6])) + 2 * abs(F[7])) / 6
        sb = sum(1 for j in range(5) if sd > SD_EDGES[j])
        ab = sum(1 for j in range(3) if act / (sd + 0.3) > ACT_EDGES[j])
        e = self._ctx((s, c, sb, ab))
        lsadd = lsadd_of(e[0], e[1])
        w2, M2, g2 = prepare(n, logits, means, lss, shifts, madd, lsadd)
        if A >= 2:
            center = 256 * m + madd
            M2 = contract(n, M2, center, rho)
        cdf = Cdf(n, w2, M2, g2)
        hs = None
        if A >= 4:
            dq = sum(1 for j in range(4) if d / (sd + 0.3) > SSE_D_EDGES[j])
            eq = sum(1 for j in range(5) if (F[25] + F[26]) / (sd + 0.3) > SSE_E_EDGES[j])
            hs = (self._hist((1, s, c, sb, dq)), self._hist((2, s, c, sb, eq)))
            if A >= 5 and c >= 1:  # §7.11 item 3
                pq = sum(1 for j in range(5) if rv[c - 1] / (sd + 0.3) > SSE_E_EDGES[j])
                hs = hs + (self._hist((3, s, c, sb, pq)),)
            cdf = SseCdf(cdf, *[self._table(H) for H in hs])
        return cdf, (s, c, y, x, m, d, vt, sd, F, grp, e, hs, cdf)

    def update(self, st, v, rv):
        s, c, y, x, m, d, vt, sd, F, grp, e, hs, cdf = st
        if hs is not None:
            lo, hi = cdf.u(v), cdf.u(v + 1)
            for H in hs:
                self._add(H, lo, hi)
        r = v - m
        ee = r - d
        self.res[c][y][x] = r
        self.err[c][y][x] = ee
        rv[c] = ee if self.A >= 5 else r  # §7.6; §7.11 item 1
        e[0] = e[0] + ee * ee
        e[1] = e[1] + vt
        wt = 1 / (sd * sd + 1)
        grp.update(F, r, wt)
        grp.dirty = True


class Z2Adapt:
    """§7.9: the z2 stage of adapt-3 for one tile."""

    def __init__(self, C, zh, zw, L):
        self.C, self.zh, self.zw, self.L = C, zh, zw, L
        self.zv = [[[0] * zw for _ in range(zh)] for _ in range(C)]
        self.zres = [[[0.0] * zw for _ in range(zh)] for _ in range(C)]
        self.zerr = [[[0.0] * zw for _ in range(zh)] for _ in range(C)]

    def row_start(self, y):
        if y == 0:
            self.grp = Group(ZF)
            self.E = 0.0
            self.S = 0.0
        else:
            self.grp.solve()

    def row_end(self):
        self.grp.decay(ZDECAY)
        self.E = self.E * DECAY_TEMP
        self.S = self.S * DECAY_TEMP

    def symbol(self, c, y, x, logits, means, lss):
        n = self.L
        w, M, g = prepare(n, logits, means, lss)
        m, sd, vt = moments(n, w, M, g, 3, ZRHO)
        G = [0.0] * ZF
        G[0] = 1.0
        zh, zw = self.zh, self.zw
        for q, (dy, dx) in enumerate(((0, -1), (-1, 0), (-1, -1), (-1, 1))):
            yy, xx = y + dy, x + dx
            if yy >= 0 and xx >= 0 and xx < zw:
                G[1 + q] = self.zres[c][yy][xx]
                G[5 + q] = self.zv[c][yy][xx] - m
                G[9 + q] = self.zerr[c][yy][xx]
        for cp in range(min(c, 4)):
            G[13 + cp] = self.zres[cp][y][x]
        if c >= 1:
            for q, (dy, dx) in enumerate(((0, 1), (1, 0), (0, -1), (-1, 0))):
                yy, xx = y + dy, x + dx
                if 0 <= yy < zh and 0 <= xx < zw:
                    G[17 + q] = self.zres[c - 1][yy][xx]
        d = self.grp.predict(G)
        lim = CLIP2 * sd + 1
        if d > lim:
            d = lim
        if d < -lim:
            d = -lim
        madd = math.floor(d * 256 + 0.5)
        lsadd = lsadd_of(self.E, self.S)
        center = 256 * m + madd
        w2, M2, g2 = prepare(n, logits, means, lss, None, madd, lsadd)
        M2 = contract(n, M2, center, ZRHO)
        return Cdf(n, w2, M2, g2), (c, y, x, m, d, vt, sd, G)

    def update(self, st, v):
        c, y, x, m, d, vt, sd, G = st
        r = v - m
        e = r - d
        self.zv[c][y][x] = v
        self.zres[c][y][x] = r
        self.zerr[c][y][x] = e
        self.E = self.E + e * e
        self.S = self.S + vt
        wt = 1 / (sd * sd + 1)
        self.grp.update(G, r, wt)
