"""Integer logistic-mixture CDF, SPEC.md §6 (and the G/B mean shifts of §4.5)."""
import math
from l3c_tables import SIGMOID_Q20, EXP_Q20


def clamp(v, lo, hi):
    return lo if v < lo else hi if v > hi else v


def prepare(n, logits, means, log_scales, shifts=None, madd=0, lsadd=0):
    """§6.2 steps 1-3: returns (w, M, g), lists of K integers."""
    K = len(logits)
    P = [clamp(p, -32768, 32768) for p in logits]
    M = []
    G = []
    for k in range(K):
        sh = shifts[k] if shifts is not None else 0
        M.append(clamp(means[k] + sh + madd, -256 * n, 512 * n))
        gk = clamp(log_scales[k], -512, 768)
        if lsadd != 0:
            gk = clamp(gk + lsadd, -512, 768)
        G.append(gk)
    m = max(P)
    kmax = P.index(m)
    e = [EXP_Q20[512 + min(m - p, 2048)] for p in P]
    Z = sum(e)
    w = [(ek * 2 ** 15) // Z for ek in e]
    w[kmax] += 2 ** 15 - sum(w)
    g = [EXP_Q20[512 + gk] for gk in G]
    return w, M, g


def contract(n, M, center, rho):
    """§6.5: contracted means (doubles per §1.2)."""
    out = []
    for Mk in M:
        t = math.floor((rho - 1.0) * (float(Mk) - center) + 0.5)
        out.append(clamp(Mk + t, -256 * n, 512 * n))
    return out


class Cdf:
    """C(v) of §6.2 steps 4-5 for prepared (w, M, g); computed lazily per boundary."""

    def __init__(self, n, w, M, g):
        self.n = n
        self.comps = [(w[k], M[k], g[k]) for k in range(len(w)) if w[k] != 0]
        self.cache = {}

    def __call__(self, v):
        n = self.n
        if v <= 0:
            return 0
        if v >= n:
            return 65536
        c = self.cache.get(v)
        if c is not None:
            return c
        c = (self.share(v) * (65536 - n)) // 2 ** 35 + v
        self.cache[v] = c
        return c

    def share(self, v):
        """F(v) of §6.2 step 5, 0 < v < n."""
        B = 256 * v - 128
        F = 0
        for wk, Mk, gk in self.comps:
            d = B - Mk
            q = (abs(d) * gk) >> 13
            i = q >> 8
            f = q & 255
            if i >= 2048:
                s = 2 ** 20
            else:
                s = SIGMOID_Q20[i] + ((SIGMOID_Q20[i + 1] - SIGMOID_Q20[i]) * f) // 256
            sig = s if d >= 0 else 2 ** 20 - s
            F += wk * sig
        return F

    def table(self):
        return [self(v) for v in range(self.n + 1)]


class SseCdf:
    """adapt-4 (§7.10): C(v) of a prepared Cdf mapped through two tables T1, T2;
    adapt-5 (§7.11): and a third, T3, counted twice."""

    W = 2 ** 20

    def __init__(self, cdf, T1, T2, T3=None):
        self.base, self.T1, self.T2, self.T3 = cdf, T1, T2, T3
        self.n = cdf.n

    def u(self, v):
        if v <= 0:
            return 0
        if v >= self.n:
            return 2 ** 24
        return self.base.share(v) // 2 ** 11

    @classmethod
    def g(cls, T, u):
        j = min(u // cls.W, 15)
        return T[j] + ((T[j + 1] - T[j]) * (u - j * cls.W)) // cls.W

    def __call__(self, v):
        if v <= 0:
            return 0
        if v >= self.n:
            return 65536
        u = self.u(v)
        if self.T3 is None:
            M = (self.g(self.T1, u) + self.g(self.T2, u)) // 2
        else:
            M = (self.g(self.T1, u) + self.g(self.T2, u) + 2 * self.g(self.T3, u)) // 4
        return (M * (65536 - self.n)) // 2 ** 24 + v


def shift_g(alpha, xR):
    return (clamp(alpha, -4096, 4096) * (2 * xR - 255)) // 32


def shift_b(beta, gamma, xR, xG):
    return (clamp(beta, -4096, 4096) * (2 * xR - 255) + clamp(gamma, -4096, 4096) * (2 * xG - 255)) // 32
