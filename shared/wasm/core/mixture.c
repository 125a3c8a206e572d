/*
 * l3c-core, part 3 of 7: The integer logistic-mixture CDF and its search (specification: SPEC.md §6; reference: shared/logistic-mixture.ts), the
 * conformance table export and z's mode (encoder policy).
 * Compiled as one translation unit through l3c-core.c (included in order, never alone).
 */

/* ------------------------------------------------------------------ mixture CDF */

#define MAXK 32
/* adapt-4's secondary estimation (SPEC.md §7.10): the width of a bin of Q24 shares */
#define SSE_BINS ADAPT_SSE_BINS
#define SSE_WIDTH (16777216.0 / SSE_BINS)
_Static_assert((1 << 24) % SSE_BINS == 0, "SSE_BINS divides 2^24");

typedef struct {
  int32_t k, n;
  double scale;
  /* the decoder's first-probe hint (see first_probe): logistic mean and scale, symbol units */
  double hm, hs;
  double w[MAXK], mu[MAXK], g[MAXK];
  /* for readjust: each kept component's unclamped mean and clamped log-scale */
  double mur[MAXK];
  int32_t lsr[MAXK];
  /* adapt-4's secondary estimation (SPEC.md §7.10): the two contexts' tables, or 0;
     adapt-5 (§7.11): a third, counted twice, or 0 */
  const double *sse, *sse2, *sse3;
  /* with sse: the shares u of the last boundaries evaluated, by v mod 16 (the update reads
     the coded symbol's two boundaries from here instead of evaluating them again) */
  double uc[16];
  int32_t vc[16];
} Mix;

static inline int32_t clampi(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : (v > hi ? hi : v); }

/*
 * Prepare K components read at p[off + j] (logits), p[off + mo + j] (means),
 * p[off + so + j] (log-scales). shifts: per-component Q8 mean shifts (or 0). madd: one
 * more Q8 shift for every mean (adaptive stage), lsadd: Q7 offset of every clamped
 * log-scale, clamped again (adaptive stage). Follows MixtureCdf.prepare.
 */
static void prepare(Mix *m, int32_t n, int32_t K, const int32_t *p, int32_t off, int32_t mo, int32_t so,
                    const int32_t *shifts, int32_t madd, int32_t lsadd) {
  double mx = -32768;
  int32_t kmax = 0;
  double l[MAXK];
  int32_t lsv[MAXK];
  const double mulo = -256.0 * n, muhi = 512.0 * n;
  for (int32_t j = 0; j < K; j++) {
    int32_t v = clampi(p[off + j], -32768, 32768);
    if (v > mx || j == 0) {
      mx = v;
      kmax = j;
    }
    l[j] = v;
    double mu = (double)p[off + mo + j] + (shifts ? shifts[j] : 0);
    m->mur[j] = mu;
    mu += madd;
    m->mu[j] = mu < mulo ? mulo : (mu > muhi ? muhi : mu);
    int32_t ls = clampi(p[off + so + j], -512, 768);
    lsv[j] = ls;
    if (lsadd) ls = clampi(ls + lsadd, -512, 768);
    m->g[j] = EXP_Q20[512 + ls];
  }
  double e = 0;
  for (int32_t j = 0; j < K; j++) {
    int32_t u = (int32_t)(mx - l[j]);
    double ej = EXP_Q20[512 + (u < 2048 ? u : 2048)];
    l[j] = ej;
    e += ej;
  }
  double sum = 0;
  int32_t a = 0, max_at = 0;
  for (int32_t j = 0; j < K; j++) {
    double wj = floor_((l[j] * 32768.0) / e);
    sum += wj;
    if (j == kmax)
      max_at = a;
    else if (wj == 0)
      continue;
    m->w[a] = wj;
    m->mu[a] = m->mu[j];
    m->g[a] = m->g[j];
    m->mur[a] = m->mur[j];
    m->lsr[a] = lsv[j];
    a++;
  }
  m->w[max_at] += 32768.0 - sum;
  m->k = a;
  m->n = n;
  m->scale = 65536.0 - n;
  m->hs = 0;
  m->sse = 0;
  m->sse2 = 0;
  m->sse3 = 0;
}

/*
 * The same mixture with every mean shifted by madd (Q8) and every log-scale by lsadd (Q7)
 * from what prepare() was given: identical to calling prepare() with those values (the
 * weights do not depend on them), without recomputing the weights.
 */
static void readjust(Mix *m, int32_t madd, int32_t lsadd) {
  const double mulo = -256.0 * m->n, muhi = 512.0 * m->n;
  for (int32_t j = 0; j < m->k; j++) {
    double mu = m->mur[j] + madd;
    m->mu[j] = mu < mulo ? mulo : (mu > muhi ? muhi : mu);
    m->g[j] = EXP_Q20[512 + clampi(m->lsr[j] + lsadd, -512, 768)];
  }
}

/*
 * adapt-2, step 4b: every kept component's mean moves toward the adapted mixture mean
 * `center` (Q8): mu = mu + floor(rm1 * (mu - center) + 0.5) with rm1 = RHO - 1 (adapt-3's
 * z2 stage: ZRHO - 1), clamped to the mean range; the first probe follows. Follows
 * MixtureCdf.contract.
 */
static void contract(Mix *m, double rm1, double center) {
  const double mulo = -256.0 * m->n, muhi = 512.0 * m->n;
  for (int32_t j = 0; j < m->k; j++) {
    double mu = m->mu[j];
    mu = mu + floor_(rm1 * (mu - center) + 0.5);
    m->mu[j] = mu < mulo ? mulo : (mu > muhi ? muhi : mu);
  }
}

/*
 * The adaptive stages' hint for the decoder's first probe: the adapted mean `center` (Q8)
 * and the logistic scale of a variance vt stretched by the temperature's Q7 log-scale
 * offset lsadd.
 */
static inline void hint(Mix *m, double center, double vt, int32_t lsadd) {
  m->hm = center / 256.0;
  /* logistic scale = sd sqrt(3) / pi; exp(lsadd / 128) ~ 1 + x (1 + x / 2), |x| < 1 */
  double x = lsadd / 128.0;
  m->hs = sqrt_(vt) * 0.5513288954217921 * (1.0 + x * (1.0 + 0.5 * x));
  if (!(m->hs > 0.05)) m->hs = 0.05;
}

/* 2^20 sigma(|d| g / 2^33), interpolated in SIGMOID_Q20 (the logistic of one component) */
static inline double sig_abs(double d, double g) {
  double q = floor_((fabs_(d) * g) / 8192.0);
  if (!(q < 524288.0)) return 1048576.0;
  int32_t qi = (int32_t)q, i = qi >> 8;
  return SIGMOID_Q20[i] + (((SIGMOID_Q20[i + 1] - SIGMOID_Q20[i]) * (qi & 255)) >> 8);
}

/* one component's Q20 share below the boundary at offset d from its mean */
static inline double below(double d, double g) {
  double s = sig_abs(d, g);
  return d >= 0 ? s : 1048576.0 - s;
}

/* the bin of a Q24 share: min(floor(u / SSE_WIDTH), SSE_BINS - 1) */
static inline int32_t sse_bin(double u) {
  int32_t j = (int32_t)(u / SSE_WIDTH);
  return j > SSE_BINS - 1 ? SSE_BINS - 1 : j;
}
/* one table's G(u) = T[j] + floor((T[j + 1] - T[j]) r / SSE_WIDTH), j = sse_bin(u), r = u - j SSE_WIDTH
   (T: SSE_BINS + 1 nondecreasing Q24 knots, T[0] = 0, T[SSE_BINS] = 2^24) */
static inline double sse_g(const double *T, double u) {
  const int32_t j = sse_bin(u);
  const double r = u - j * SSE_WIDTH;
  return T[j] + floor_(((T[j + 1] - T[j]) * r) / SSE_WIDTH);
}
/*
 * adapt-4 (SPEC.md §7.10): the mixture's share below boundary v, u = floor(f / 2^11) (Q24),
 * mapped through the contexts' tables and averaged, M = floor((G1 + G2) / 2); adapt-5
 * (§7.11) with a third table counted twice, M = floor((G1 + G2 + 2 G3) / 4). Every value
 * is an integer below 2^45. u is cached by v mod 16 for the update (share_q24).
 */
static inline double sse_map(Mix *m, double f, int32_t v) {
  const double u = floor_(f / 2048.0);
  m->uc[v & 15] = u;
  m->vc[v & 15] = v;
  if (m->sse3) return floor_((sse_g(m->sse, u) + sse_g(m->sse2, u) + 2.0 * sse_g(m->sse3, u)) / 4.0);
  return floor_((sse_g(m->sse, u) + sse_g(m->sse2, u)) / 2.0);
}

/* f(v) = sum_k w_k sigma_k, the weighted sum of the components' shares below boundary v (0 < v < n) */
static inline double share(const Mix *m, int32_t v) {
  double b = 256.0 * v - 128.0, f = 0;
  for (int32_t j = 0; j < m->k; j++) f += m->w[j] * below(b - m->mu[j], m->g[j]);
  return f;
}

/* C(v) from the weighted sum f of the components' shares (0 < v < n); adapt-4 maps f first */
static inline double scaled(Mix *m, double f, int32_t v) {
  if (m->sse) return floor_((sse_map(m, f, v) * m->scale) / 16777216.0) + v;
  return floor_((f * m->scale) / 34359738368.0) + v;
}

/* the Q24 share u = floor(f / 2^11) below boundary v (0 at v <= 0, 2^24 at v >= n) */
static inline double share_q24(const Mix *m, int32_t v) {
  if (v <= 0) return 0;
  if (v >= m->n) return 16777216.0;
  if (m->vc[v & 15] == v) return m->uc[v & 15];
  return floor_(share(m, v) / 2048.0);
}

static inline double cdf(Mix *m, int32_t v) {
  if (v <= 0) return 0;
  if (v >= m->n) return 65536;
  return scaled(m, share(m, v), v);
}

/* cdf(m, v) and cdf(m, v + 1) in one pass over the components (0 < v, v + 1 < n) */
static inline void cdf2(Mix *m, int32_t v, double *c0, double *c1) {
  double b = 256.0 * v - 128.0, f0 = 0, f1 = 0;
  for (int32_t j = 0; j < m->k; j++) {
    double d = b - m->mu[j], g = m->g[j], w = m->w[j];
    f0 += w * below(d, g);
    f1 += w * below(d + 256.0, g);
  }
  *c0 = scaled(m, f0, v);
  *c1 = scaled(m, f1, v + 1);
}

static inline uint32_t mix_encode(Coder *e, Mix *m, int32_t v) {
  if (v < 0 || v >= m->n) {
    SET_ERR(e, L3C_ERR_SYMBOL);
    return 1;
  }
  double lo = cdf(m, v), size = cdf(m, v + 1) - lo;
  enc(e, (uint32_t)lo, (uint32_t)size);
  return (uint32_t)size;
}

/* ln(x) for normal x > 0, to about 1e-4: x = f 2^e with f in [1, 2), ln f = 2 atanh(y) */
static inline double ln_approx(double x) {
  union {
    double d;
    uint64_t u;
  } v = {x}; /* not __builtin_bit_cast: gcc's C lacks it (the --native build) */
  int32_t e = (int32_t)((v.u >> 52) & 0x7ff) - 1023;
  v.u = (v.u & 0x000fffffffffffffULL) | 0x3ff0000000000000ULL;
  x = v.d;
  double y = (x - 1.0) / (x + 1.0), y2 = y * y;
  return 0.6931471805599453 * e + 2.0 * y * (1.0 + y2 * (1.0 / 3.0 + y2 * (0.2 + y2 / 7.0)));
}

/*
 * The decoder's first probe. The decoded symbol does not depend on it (C is strictly
 * increasing, so one v has C(v) <= t < C(v + 1)); only the number of probes does. So any
 * arithmetic will do, and none of it reaches the coder. With a hint (hs > 0): the
 * quantile of t under the logistic of mean hm and scale hs (2.2 probes per pixel symbol
 * under adapt-3, against 3.4 from the heaviest component's mean, the choice without one).
 */
/* the level nearest x (symbol units), clamped to [0, n - 1] */
static inline int32_t level_of(const Mix *m, double x) {
  double g = floor_(x + 0.5);
  return !(g >= 0) ? 0 : (g > m->n - 1 ? m->n - 1 : (int32_t)g);
}

/* the level of the (first) heaviest component's mean */
static inline int32_t heaviest_level(const Mix *m) {
  int32_t best = 0;
  for (int32_t j = 1; j < m->k; j++)
    if (m->w[j] > m->w[best]) best = j;
  return level_of(m, m->mu[best] / 256.0);
}

static inline int32_t first_probe(const Mix *m, double t) {
  if (!(m->hs > 0)) return heaviest_level(m);
  return level_of(m, m->hm + m->hs * (ln_approx(t + 0.5) - ln_approx(65536.5 - t)));
}

static inline int32_t mix_decode(Coder *d, Mix *m) {
  double t = dec_target(d);
  int32_t n = m->n, lo, hi;
  double clo, chi;
  int32_t v0 = first_probe(m, t);
  double c0, c1 = -1;
  if (v0 > 0 && v0 + 1 < n)
    cdf2(m, v0, &c0, &c1); /* the bracket [v0, v0 + 1] at once: most symbols end here */
  else
    c0 = cdf(m, v0);
  if (c0 <= t) {
    lo = v0;
    clo = c0;
    int32_t step = 1;
    hi = v0 + 1;
    chi = c1 >= 0 ? c1 : cdf(m, hi);
    while (chi <= t) {
      lo = hi;
      clo = chi;
      step *= 2;
      hi = lo + step < n ? lo + step : n;
      chi = cdf(m, hi);
    }
  } else {
    hi = v0;
    chi = c0;
    int32_t step = 1;
    lo = v0 - 1 > 0 ? v0 - 1 : 0;
    clo = cdf(m, lo);
    while (clo > t) {
      hi = lo;
      chi = clo;
      step *= 2;
      lo = hi - step > 0 ? hi - step : 0;
      clo = cdf(m, lo);
    }
  }
  while (hi - lo > 1) {
    int32_t mid = (lo + hi) >> 1;
    double c = cdf(m, mid);
    if (c <= t) {
      lo = mid;
      clo = c;
    } else {
      hi = mid;
      chi = c;
    }
  }
  dec_consume(d, (uint32_t)clo, (uint32_t)(chi - clo));
  return lo;
}

/* z symbols of one level: C x hw, channel-major; params NHWC, P = 3 C K. */
void EXPORT(l3c_code_z)(int32_t decode, Coder *c, const int32_t *p, int32_t C, int32_t K, int32_t L, int32_t hw,
                        uint8_t *sym) {
  Mix m;
  int32_t ck = C * K;
  for (int32_t ch = 0; ch < C; ch++)
    for (int32_t i = 0; i < hw; i++) {
      if (c->err) return;
      prepare(&m, L, K, p, i * 3 * ck + ch * K, ck, 2 * ck, 0, 0, 0);
      if (decode)
        sym[ch * hw + i] = (uint8_t)mix_decode(c, &m);
      else
        mix_encode(c, &m, sym[ch * hw + i]);
    }
}

/*
 * The whole table C(0..n) of one mixture (conformance vectors): params = K logits, K means,
 * K log-scales; shifts: K Q8 shifts or 0.
 */
void EXPORT(l3c_mix_table)(int32_t n, int32_t K, const int32_t *params, const int32_t *shifts, int32_t *out) {
  Mix m;
  prepare(&m, n, K, params, 0, K, 2 * K, shifts, 0, 0);
  for (int32_t v = 0; v <= n; v++) out[v] = (int32_t)cdf(&m, v);
}

/*
 * Encoder policy helper (not part of decoding): the most probable level of every z symbol
 * of one level (same layout as l3c_code_z), the first on ties.
 */
void EXPORT(l3c_z_mode)(const int32_t *p, int32_t C, int32_t K, int32_t L, int32_t hw, uint8_t *out) {
  Mix m;
  int32_t ck = C * K;
  for (int32_t ch = 0; ch < C; ch++)
    for (int32_t i = 0; i < hw; i++) {
      prepare(&m, L, K, p, i * 3 * ck + ch * K, ck, 2 * ck, 0, 0, 0);
      /* A level holding more than half of the 65536 is the mode, and the only one: the
         others share less than half. z1 is sent at its mode because its priors are that
         sharp, so most symbols end with these two evaluations. */
      int32_t v0 = heaviest_level(&m);
      if (cdf(&m, v0 + 1) - cdf(&m, v0) > 32768) {
        out[ch * hw + i] = (uint8_t)v0;
        continue;
      }
      double prev = 0, best = -1;
      int32_t arg = 0;
      for (int32_t v = 0; v < L; v++) {
        double c1 = cdf(&m, v + 1);
        if (c1 - prev > best) {
          best = c1 - prev;
          arg = v;
        }
        prev = c1;
      }
      out[ch * hw + i] = (uint8_t)arg;
    }
}
