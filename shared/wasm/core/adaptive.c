/*
 * l3c-core, part 5 of 7: The adaptive stage's arithmetic (specification: SPEC.md §7; reference: shared/adaptive-stage.ts): neighbours, the ridge
 * solve, features, spread, temperature contexts, the row update.
 * Compiled as one translation unit through l3c-core.c (included in order, never alone).
 */

/* ---- adaptive stages adapt-1..3 (specification: SPEC.md §7.4-§7.7) ---- */

static const int8_t NB8[4][8][2] = {
    {{0, 0}},
    {{-1, -1}, {-1, 1}, {1, -1}, {1, 1}, {-1, -3}, {-1, 3}, {1, -3}, {1, 3}},
    {{0, -1}, {0, 1}, {-1, 0}, {1, 0}, {-2, -1}, {-2, 1}, {2, -1}, {2, 1}},
    {{-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {-1, 1}, {1, -1}, {1, 1}}};
/* the two pairs (H, V) of opposite neighbours averaged by the directional predictors */
static const int8_t HPAIR[4][2][2] = {{{0}}, {{-1, -1}, {1, 1}}, {{0, -1}, {0, 1}}, {{0, -1}, {0, 1}}};
static const int8_t VPAIR[4][2][2] = {{{0}}, {{-1, 1}, {1, -1}}, {{-1, 0}, {1, 0}}, {{-1, 0}, {1, 0}}};
/* earlier-phase neighbours whose residuals are averaged (feature eP) */
static const int8_t PREV[4][6][2] = {{{0}},
                                     {{-1, -1}, {-1, 1}, {1, -1}, {1, 1}},
                                     {{-1, 0}, {1, 0}},
                                     {{0, -1}, {0, 1}, {-1, -1}, {-1, 1}, {1, -1}, {1, 1}}};
static const int8_t NPREV[4] = {0, 4, 2, 6};
/* causal same-stage neighbours W, N, NW, NE (in steps) */
static const int8_t CAUSAL[4][2] = {{0, -1}, {-1, 0}, {-1, -1}, {-1, 1}};
/* adapt-3's z2 stage: the four neighbours of the earlier channel (E, S, W, N) */
static const int8_t ZAROUND[4][2] = {{0, 1}, {1, 0}, {0, -1}, {-1, 0}};

/* Neighbour (y + oy, x + ox), mirrored per axis about (y, x) when outside the tile.
   Returns the plane offset, or -1 when the mirrored position is outside too. */
static inline int32_t nb_at(const Tile *t, int32_t y, int32_t x, int32_t oy, int32_t ox) {
  int32_t a = y + oy, b = x + ox;
  if (a < 0 || a >= t->h) a = y - oy;
  if (b < 0 || b >= t->w) b = x - ox;
  if (a < 0 || a >= t->h || b < 0 || b >= t->w) return -1;
  return a * t->W + b;
}

/*
 * theta = (A + LAMBDA I)^-1 b by Cholesky, A n x n symmetric (upper triangle valid): every
 * element of L, y and theta takes the spec's operations in the spec's order (its terms
 * subtracted k ascending). The factor and the forward substitution run column by column,
 * so that a column's elements, independent of each other, run side by side; the back
 * substitution goes element by element. Lc[k n + i] = L_ik (column-major).
 */
static void solve(int32_t n, double lambda, const double *A, const double *b, double *x) {
  double Lc[NF * NF], s[NF], y[NF];
  for (int32_t j = 0; j < n; j++) {
    s[j] = A[j * n + j] + lambda;
    for (int32_t i = j + 1; i < n; i++) s[i] = A[j * n + i] + 0.0;
    for (int32_t k = 0; k < j; k++) {
      const double *lk = Lc + k * n, ljk = lk[j];
      for (int32_t i = j; i < n; i++) s[i] -= lk[i] * ljk;
    }
    const double d = sqrt_(s[j] > ADAPT_PIVOT_MIN ? s[j] : ADAPT_PIVOT_MIN);
    Lc[j * n + j] = d;
    for (int32_t i = j + 1; i < n; i++) Lc[j * n + i] = s[i] / d;
  }
  for (int32_t i = 0; i < n; i++) s[i] = b[i];
  for (int32_t k = 0; k < n; k++) {
    const double *lk = Lc + k * n, yk = s[k] / lk[k];
    y[k] = yk;
    for (int32_t i = k + 1; i < n; i++) s[i] -= lk[i] * yk;
  }
  for (int32_t i = n - 1; i >= 0; i--) {
    const double *li = Lc + i * n;
    double t = y[i];
    for (int32_t k = i + 1; k < n; k++) t -= li[k] * x[k];
    x[i] = t / li[i];
  }
}

/* Feature vector of sub-pixel c at (y, x) (see adaptive-stage.ts, "Features"). */
static void features(const Tile *t, int32_t ptype, int32_t half, int32_t step, int32_t y, int32_t x, int32_t c,
                     double m, const int32_t *xv, const double *eprev, double *F) {
  const int32_t plane = t->W * t->H;
  const uint8_t *K = t->known;
  const double *R = t->res;
  const double *E = t->err;
  for (int32_t i = 0; i < NF; i++) F[i] = 0;
  F[0] = 1;
  if (c >= 1) F[1] = eprev[0];
  if (c == 2) F[2] = eprev[1];
  for (int32_t q = 0; q < 4; q++) {
    int32_t a = y + CAUSAL[q][0] * step, b = x + CAUSAL[q][1] * step;
    if (a >= 0 && b >= 0 && b < t->w) {
      int32_t o = a * t->W + b;
      F[3 + q] = R[c * plane + o];
      F[21 + q] = K[c * plane + o] - m;
      F[25 + q] = E[c * plane + o];
    }
  }
  if (ptype == 0) {
    /* base stage: only causal neighbours (F[21..24] = W, N, NW, NE minus m) */
    double Wv = F[21] + m, Nv = F[22] + m, NWv = F[23] + m, NEv = F[24] + m;
    double mx = Wv > Nv ? Wv : Nv, mn = Wv < Nv ? Wv : Nv, med;
    if (NWv >= mx)
      med = mn;
    else if (NWv <= mn)
      med = mx;
    else
      med = (Wv + Nv) - NWv;
    F[8] = med - m;
    F[9] = 0.5 * (Wv + NEv) - m;
    for (int32_t r = 0; r < c; r++) {
      double Wr = x - step >= 0 ? K[r * plane + y * t->W + x - step] : xv[r];
      double Nr = y - step >= 0 ? K[r * plane + (y - step) * t->W + x] : xv[r];
      F[11 + (c == 1 ? 0 : r)] = (xv[r] + 0.5 * ((Wv - Wr) + (Nv - Nr))) - m;
    }
    return;
  }
  double ep = 0, ee = 0;
  for (int32_t q = 0; q < NPREV[ptype]; q++) {
    int32_t o = nb_at(t, y, x, PREV[ptype][q][0] * half, PREV[ptype][q][1] * half);
    if (o >= 0) {
      ep += R[c * plane + o];
      ee += E[c * plane + o];
    }
  }
  F[7] = ep / NPREV[ptype];
  F[29] = ee / NPREV[ptype];
  int32_t oh0 = nb_at(t, y, x, HPAIR[ptype][0][0] * half, HPAIR[ptype][0][1] * half);
  int32_t oh1 = nb_at(t, y, x, HPAIR[ptype][1][0] * half, HPAIR[ptype][1][1] * half);
  int32_t ov0 = nb_at(t, y, x, VPAIR[ptype][0][0] * half, VPAIR[ptype][0][1] * half);
  int32_t ov1 = nb_at(t, y, x, VPAIR[ptype][1][0] * half, VPAIR[ptype][1][1] * half);
#define KV(cc, o, dflt) ((o) >= 0 ? (double)K[(cc) * plane + (o)] : (dflt))
  double H0 = KV(c, oh0, m), H1 = KV(c, oh1, m), V0 = KV(c, ov0, m), V1 = KV(c, ov1, m);
  double Ph = 0.5 * (H0 + H1), Pv = 0.5 * (V0 + V1);
  double gh = fabs_(H0 - H1), gv = fabs_(V0 - V1);
  double wh = 1.0 / ((gh + 1) * (gh + 1)), wv = 1.0 / ((gv + 1) * (gv + 1));
  F[8] = Ph - m;
  F[9] = Pv - m;
  F[10] = (wh * Ph + wv * Pv) / (wh + wv) - m;
  for (int32_t r = 0; r < c; r++) {
    double Hr0 = KV(r, oh0, xv[r]), Hr1 = KV(r, oh1, xv[r]), Vr0 = KV(r, ov0, xv[r]), Vr1 = KV(r, ov1, xv[r]);
    double dh = 0.5 * ((H0 - Hr0) + (H1 - Hr1)), dv = 0.5 * ((V0 - Vr0) + (V1 - Vr1));
    double g1 = gh + fabs_(Hr0 - Hr1), g2 = gv + fabs_(Vr0 - Vr1);
    double w1 = 1.0 / ((g1 + 1) * (g1 + 1)), w2 = 1.0 / ((g2 + 1) * (g2 + 1));
    F[11 + (c == 1 ? 0 : r)] = (xv[r] + (w1 * dh + w2 * dv) / (w1 + w2)) - m;
  }
  for (int32_t q = 0; q < 8; q++) {
    int32_t o = nb_at(t, y, x, NB8[ptype][q][0] * half, NB8[ptype][q][1] * half);
    F[13 + q] = KV(c, o, m) - m;
  }
#undef KV
}

/*
 * Step 1 of the adaptive stage on a prepared mixture: mean m and sd in symbol units, and
 * vt, the variance the temperature compares with: with `contracted`, the variance of the
 * mixture contracted by rho (components' own + rho^2 x the means' spread), else sd * sd.
 * Follows spread() in adaptive-stage.ts.
 */
static inline void spread(const Mix *mx, int32_t contracted, double rho, double *mo, double *sdo, double *vto) {
  double m = 0, m2 = 0, mc = 0;
  for (int32_t j = 0; j < mx->k; j++) {
    double mu = mx->mu[j] / 256.0, s = 1048576.0 / mx->g[j], cv = (s * s) * ADAPT_LOGISTIC_VAR;
    m += mx->w[j] * mu;
    m2 += mx->w[j] * (cv + mu * mu);
    mc += mx->w[j] * cv;
  }
  m = m / 32768.0;
  m2 = m2 / 32768.0;
  double var = m2 - m * m;
  double sd = sqrt_(var > ADAPT_VAR_MIN ? var : ADAPT_VAR_MIN);
  if (contracted) {
    double vc = mc / 32768.0;
    double vr = vc + (rho * rho) * (var - vc);
    *vto = vr > ADAPT_VAR_MIN ? vr : ADAPT_VAR_MIN;
  } else {
    *vto = sd * sd;
  }
  *mo = m;
  *sdo = sd;
}

/* Bucket of v among ascending edges: the number of edges below v. */
static inline int32_t bucket(double v, const double *edges, int32_t n) {
  int32_t k = 0;
  for (int32_t i = 0; i < n; i++)
    if (v > edges[i]) k = i + 1;
  return k;
}

/* Q7 log-scale offset from the error / predicted variance ratio E / S. */
static inline int32_t temp_offset(const TempCtx *tc) {
  if (!(tc->S > 0)) return 0;
  int32_t lo = 0, hi = ADAPT_TAU_COUNT; /* count thresholds U[j] with E > S U[j] */
  while (lo < hi) {
    int32_t mid = (lo + hi) >> 1;
    if (tc->E > tc->S * ADAPT_TAU_U[mid])
      lo = mid + 1;
    else
      hi = mid;
  }
  return ADAPT_TAU_MIN + lo;
}

/*
 * A grid row's samples summed into [A | b] (b is column NF): for every element and
 * k = 0..n-1 in order, s[j] += fw[k][i] x[k][j], each sum its own chain: the blocks below
 * only choose which chains run side by side. A block is rows i and i + 1 (fw = rowFw + i)
 * by ROW_BLOCK columns from j0 (x = rowF + j0); a column left of the diagonal or past NF
 * is computed and dropped by row_sums, so that every block is full.
 */
#if defined(__wasm_simd128__)
#define ROW_BLOCK 8 /* four f64x2 per row */
static inline void row_block(double *s0, double *s1, const double *fw, const double *x, int32_t n) {
  v128_t a0 = wasm_v128_load(s0), a1 = wasm_v128_load(s0 + 2), a2 = wasm_v128_load(s0 + 4),
         a3 = wasm_v128_load(s0 + 6), b0 = wasm_v128_load(s1), b1 = wasm_v128_load(s1 + 2),
         b2 = wasm_v128_load(s1 + 4), b3 = wasm_v128_load(s1 + 6);
  for (int32_t k = 0; k < n; k++) {
    const double *xk = x + k * RS;
    const v128_t f = wasm_f64x2_splat(fw[k * RS]), g = wasm_f64x2_splat(fw[k * RS + 1]);
    const v128_t x0 = wasm_v128_load(xk), x1 = wasm_v128_load(xk + 2), x2 = wasm_v128_load(xk + 4),
                 x3 = wasm_v128_load(xk + 6);
    a0 = wasm_f64x2_add(a0, wasm_f64x2_mul(f, x0));
    a1 = wasm_f64x2_add(a1, wasm_f64x2_mul(f, x1));
    a2 = wasm_f64x2_add(a2, wasm_f64x2_mul(f, x2));
    a3 = wasm_f64x2_add(a3, wasm_f64x2_mul(f, x3));
    b0 = wasm_f64x2_add(b0, wasm_f64x2_mul(g, x0));
    b1 = wasm_f64x2_add(b1, wasm_f64x2_mul(g, x1));
    b2 = wasm_f64x2_add(b2, wasm_f64x2_mul(g, x2));
    b3 = wasm_f64x2_add(b3, wasm_f64x2_mul(g, x3));
  }
  wasm_v128_store(s0, a0);
  wasm_v128_store(s0 + 2, a1);
  wasm_v128_store(s0 + 4, a2);
  wasm_v128_store(s0 + 6, a3);
  wasm_v128_store(s1, b0);
  wasm_v128_store(s1 + 2, b1);
  wasm_v128_store(s1 + 4, b2);
  wasm_v128_store(s1 + 6, b3);
}
#else
#define ROW_BLOCK 4 /* eight scalar chains */
static inline void row_block(double *s0, double *s1, const double *fw, const double *x, int32_t n) {
  double a0 = s0[0], a1 = s0[1], a2 = s0[2], a3 = s0[3], b0 = s1[0], b1 = s1[1], b2 = s1[2], b3 = s1[3];
  for (int32_t k = 0; k < n; k++) {
    const double f = fw[k * RS], g = fw[k * RS + 1], *xk = x + k * RS;
    const double x0 = xk[0], x1 = xk[1], x2 = xk[2], x3 = xk[3];
    a0 += f * x0;
    a1 += f * x1;
    a2 += f * x2;
    a3 += f * x3;
    b0 += g * x0;
    b1 += g * x1;
    b2 += g * x2;
    b3 += g * x3;
  }
  s0[0] = a0;
  s0[1] = a1;
  s0[2] = a2;
  s0[3] = a3;
  s1[0] = b0;
  s1[1] = b1;
  s1[2] = b2;
  s1[3] = b3;
}
#endif

static void row_sums(Group *g, const double *fw, const double *fs, int32_t N) {
  _Static_assert(NF % 2 == 0 && RS % ROW_BLOCK == 0, "rows go in pairs, columns in blocks");
  for (int32_t i = 0; i < NF; i += 2) {
    double s[2][RS] __attribute__((aligned(16)));
    const int32_t j0 = i & ~(ROW_BLOCK - 1);
    for (int32_t r = 0; r < 2; r++) {
      for (int32_t j = j0; j < RS; j++) s[r][j] = j < NF ? g->A[(i + r) * NF + j] : 0;
      s[r][NF] = g->b[i + r];
    }
    for (int32_t j = j0; j < RS; j += ROW_BLOCK) row_block(s[0] + j, s[1] + j, fw + i, fs + j, N);
    for (int32_t r = 0; r < 2; r++) {
      for (int32_t j = i + r; j < NF; j++) g->A[(i + r) * NF + j] = s[r][j];
      g->b[i + r] = s[r][NF];
    }
  }
}

/*
 * The end of a grid row of an adaptive stage: the row's samples are added to A and b
 * (each sum in sample order), then A, b and the temperature statistics decay.
 */
static void row_end(Tile *t, int32_t stage) {
  const double decay = t->decayLs[stage], decayTemp = t->decayTemp;
  for (int32_t c = 0; c < 3; c++) {
    Group *g = &t->groups[stage * 3 + c];
    const int32_t N = t->rowN[c];
    const double *fw = t->rowFw + (uintptr_t)c * t->rowCap * RS, *fs = t->rowF + (uintptr_t)c * t->rowCap * RS;
    row_sums(g, fw, fs, N);
    t->rowN[c] = 0;
    for (int32_t i = 0; i < NF; i++) {
      for (int32_t j = i; j < NF; j++) g->A[i * NF + j] *= decay;
      g->b[i] *= decay;
    }
  }
  TempCtx *tc = &t->temps[stage * 3 * NSB * NACT];
  for (int32_t i = 0; i < 3 * NSB * NACT; i++) {
    tc[i].E *= decayTemp;
    tc[i].S *= decayTemp;
  }
}

/* ---- adapt-4's secondary estimation (specification: SPEC.md §7.10) ---- */

/* the context's table T from its histogram H (recomputed only when H changed since) */
static inline const double *sse_table(Tile *t, int32_t s) {
  double *T = t->sseT + (uintptr_t)s * (SSE_BINS + 1);
  if (t->sseDirty[s]) {
    const double *H = t->sseH + (uintptr_t)s * SSE_BINS;
    double total = 0, run = 0;
    const double prior = t->ssePrior;
    for (int32_t j = 0; j < SSE_BINS; j++) total += H[j] + prior;
    const double scale = 16777216.0 / total;
    T[0] = 0;
    for (int32_t j = 0; j < SSE_BINS - 1; j++) {
      run += H[j] + prior;
      T[j + 1] = floor_(run * scale);
    }
    T[SSE_BINS] = 16777216.0;
    t->sseDirty[s] = 0;
  }
  return T;
}

/* after coding: the symbol's interval [lo, hi) of Q24 shares, spread over the bins it covers */
static inline void sse_update(Tile *t, int32_t s, double lo, double hi) {
  double *H = t->sseH + (uintptr_t)s * SSE_BINS;
  if (!(hi > lo)) {
    H[sse_bin(lo)] += 1.0;
  } else {
    const int32_t j1 = sse_bin(hi - 1.0);
    for (int32_t j = sse_bin(lo); j <= j1; j++) {
      const double a = j * SSE_WIDTH > lo ? j * SSE_WIDTH : lo;
      const double b = (j + 1) * SSE_WIDTH < hi ? (j + 1) * SSE_WIDTH : hi;
      H[j] += (b - a) / (hi - lo);
    }
  }
  t->sseDirty[s] = 1;
}
