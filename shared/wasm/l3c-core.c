/*
 * l3c-core: the entropy path of the L3C tile model in C, compiled to WebAssembly
 * (wasm32, scalar and SIMD128 builds) for Node, workerd and browsers, and natively for
 * tools. It computes exactly what the TypeScript reference computes:
 *   - range-coder.ts         (RangeEncoder / RangeDecoder)
 *   - logistic-mixture.ts    (MixtureCdf: the integer CDF, its search)
 *   - l3c-model.ts           (the order of z and pixel symbols of a coded tile)
 *   - adaptive-stage.ts      (the adaptive stage "adapt-1")
 * Those files are the specification; this file follows them operation by operation.
 * Floating point appears only where the spec allows it: IEEE-754 doubles holding
 * integers below 2^53 (exact) and, in the adaptive stage, + - * / and sqrt in the
 * order the spec gives (no FMA contraction: build with -ffp-contract=off).
 *
 * Memory: the host allocates with l3c_alloc (a bump allocator) and releases with
 * l3c_release(mark). No libc.
 */

#include <stdint.h>

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

#include "adapt-tables.h"
#include "mixture-tables.h"

#if defined(__wasm__)
#define EXPORT(name) __attribute__((export_name(#name))) name
#else
#define EXPORT(name) name
#endif

#if defined(__wasm__)
extern unsigned char __heap_base;
static uintptr_t heap_top = 0;
static uintptr_t heap_end = 0;
#else
#include <stdlib.h>
static unsigned char *native_heap = 0;
static uintptr_t heap_top = 0;
static uintptr_t heap_end = 0;
#endif

#define floor_ __builtin_floor
#define sqrt_ __builtin_sqrt
#define fabs_ __builtin_fabs

/* ------------------------------------------------------------------ memory */

/** Current allocation mark (to release everything allocated after it). */
uintptr_t EXPORT(l3c_mark)(void) {
#if defined(__wasm__)
  if (!heap_top) {
    heap_top = ((uintptr_t)&__heap_base + 15) & ~(uintptr_t)15;
    heap_end = __builtin_wasm_memory_size(0) * 65536;
  }
#else
  if (!native_heap) {
    heap_end = (uintptr_t)1 << 31;
    native_heap = malloc(heap_end);
    heap_top = (uintptr_t)native_heap;
    heap_end += heap_top;
  }
#endif
  return heap_top;
}

/** n bytes, 16-aligned, zeroed; 0 when memory cannot grow. */
void *EXPORT(l3c_alloc)(uint32_t n) {
  uintptr_t p = l3c_mark();
  uintptr_t end = p + (((uintptr_t)n + 15) & ~(uintptr_t)15);
  if (end > heap_end) {
#if defined(__wasm__)
    uintptr_t pages = (end - heap_end + 65535) / 65536;
    if (__builtin_wasm_memory_grow(0, pages) == (uintptr_t)-1) return 0;
    heap_end += pages * 65536;
#else
    return 0;
#endif
  }
  heap_top = end;
  unsigned char *b = (unsigned char *)p;
  for (uintptr_t i = 0; i < end - p; i++) b[i] = 0;
  return b;
}

void EXPORT(l3c_release)(uintptr_t mark) {
  if (mark && mark <= heap_top) heap_top = mark;
}

/* ------------------------------------------------------------------ errors */

enum {
  L3C_OK = 0,
  L3C_ERR_TRUNCATED = 1,    /* range-coded data ended early */
  L3C_ERR_CORRUPT = 2,      /* decoder state left the coding interval */
  L3C_ERR_CAPACITY = 3,     /* encoder output buffer full */
  L3C_ERR_SYMBOL = 4,       /* symbol outside the alphabet (encoder) */
  L3C_ERR_ARGUMENT = 5      /* bad sizes */
};

/* ------------------------------------------------------------------ range coder */

/* The first error sticks: later operations on a failed coder do nothing useful. */
#define SET_ERR(c, e) \
  do {                \
    if (!(c)->err) (c)->err = (e); \
  } while (0)

typedef struct {
  uint64_t low;
  uint32_t range, cache, cache_size, pos, cap, err;
  uint8_t *buf;
} Coder;
/* The decoder shares the struct: low = code, buf = data, cap = length. */

#define TOP (1u << 24)

static void shift_low(Coder *e) {
  uint64_t low = e->low;
  if (low < 0xff000000u || low >= 0x100000000ull) {
    uint32_t carry = low >= 0x100000000ull ? 1 : 0;
    uint32_t temp = e->cache;
    do {
      if (e->pos >= e->cap) {
        SET_ERR(e, L3C_ERR_CAPACITY);
      } else {
        e->buf[e->pos++] = (uint8_t)((temp + carry) & 0xff);
      }
      temp = 0xff;
    } while (--e->cache_size != 0);
    e->cache = (uint32_t)((low >> 24) & 0xff);
  }
  e->cache_size++;
  e->low = (low & 0x00ffffffu) << 8;
}

Coder *EXPORT(l3c_encoder_new)(uint8_t *buf, uint32_t cap) {
  Coder *e = l3c_alloc(sizeof(Coder));
  if (!e) return 0;
  e->range = 0xffffffffu;
  e->cache_size = 1;
  e->buf = buf;
  e->cap = cap;
  return e;
}

static inline void enc(Coder *e, uint32_t start, uint32_t size) {
  uint32_t r = e->range >> 16;
  e->low += (uint64_t)r * start;
  e->range = r * size;
  while (e->range < TOP) {
    e->range <<= 8;
    shift_low(e);
  }
}

/** Flush; returns the stream length (the error, if any, is in the coder). */
uint32_t EXPORT(l3c_encoder_finish)(Coder *e) {
  for (int i = 0; i < 5; i++) shift_low(e);
  return e->pos;
}

uint32_t EXPORT(l3c_coder_error)(const Coder *c) { return c->err; }
uint32_t EXPORT(l3c_coder_position)(const Coder *c) { return c->pos; }

Coder *EXPORT(l3c_decoder_new)(const uint8_t *data, uint32_t len) {
  Coder *d = l3c_alloc(sizeof(Coder));
  if (!d) return 0;
  d->buf = (uint8_t *)data;
  d->cap = len;
  d->range = 0xffffffffu;
  if (len < 5) {
    SET_ERR(d, L3C_ERR_TRUNCATED);
    return d;
  }
  if (data[0] != 0) {
    SET_ERR(d, L3C_ERR_CORRUPT);
    return d;
  }
  d->low = ((uint32_t)data[1] << 24) | ((uint32_t)data[2] << 16) | ((uint32_t)data[3] << 8) | data[4];
  d->pos = 5;
  if (d->low == 0xffffffffu) SET_ERR(d, L3C_ERR_CORRUPT);
  return d;
}

static inline uint32_t dec_target(Coder *d) {
  uint32_t r = d->range >> 16;
  d->cache = r; /* the decoder keeps r in `cache` between target and consume */
  uint32_t t = (uint32_t)(d->low / r);
  return t < 65536 ? t : 65535;
}

static inline void dec_consume(Coder *d, uint32_t start, uint32_t size) {
  uint32_t r = d->cache;
  uint64_t code = d->low - (uint64_t)r * start; /* wraps when corrupt: checked below */
  d->range = r * size;
  if (d->low < (uint64_t)r * start || code >= d->range) {
    SET_ERR(d, L3C_ERR_CORRUPT);
    d->range = TOP; /* stop reading; the caller sees err */
    d->low = 0;
    return;
  }
  d->low = code;
  while (d->range < TOP) {
    if (d->pos >= d->cap) {
      SET_ERR(d, L3C_ERR_TRUNCATED);
      d->range = TOP;
      return;
    }
    d->low = (d->low << 8) | d->buf[d->pos++];
    d->range <<= 8;
  }
}

/* Table-driven symbols (z3). cdf: n + 1 int32 entries. */
void EXPORT(l3c_encode_table)(Coder *e, const int32_t *cdf, const uint8_t *sym, uint32_t count, uint32_t n) {
  for (uint32_t i = 0; i < count; i++) {
    uint32_t v = sym[i];
    if (v >= n) {
      SET_ERR(e, L3C_ERR_SYMBOL);
      return;
    }
    enc(e, (uint32_t)cdf[v], (uint32_t)(cdf[v + 1] - cdf[v]));
  }
}

void EXPORT(l3c_decode_table)(Coder *d, const int32_t *cdf, uint8_t *sym, uint32_t count, uint32_t n) {
  for (uint32_t i = 0; i < count && !d->err; i++) {
    uint32_t t = dec_target(d);
    uint32_t lo = 0, hi = n;
    while (hi - lo > 1) {
      uint32_t mid = (lo + hi) >> 1;
      if ((uint32_t)cdf[mid] <= t)
        lo = mid;
      else
        hi = mid;
    }
    dec_consume(d, (uint32_t)cdf[lo], (uint32_t)(cdf[lo + 1] - cdf[lo]));
    sym[i] = (uint8_t)lo;
  }
}

/* ------------------------------------------------------------------ mixture CDF */

#define MAXK 32
typedef struct {
  int32_t k, n;
  double scale;
  /* the decoder's first-probe hint (see first_probe): logistic mean and scale, symbol units */
  double hm, hs;
  double w[MAXK], mu[MAXK], g[MAXK];
  /* for readjust: each kept component's unclamped mean and clamped log-scale */
  double mur[MAXK];
  int32_t lsr[MAXK];
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

/* C(v) from the weighted sum f of the components' shares (0 < v < n) */
static inline double scaled(const Mix *m, double f, int32_t v) {
  return floor_((f * m->scale) / 34359738368.0) + v;
}

static inline double cdf(const Mix *m, int32_t v) {
  if (v <= 0) return 0;
  if (v >= m->n) return 65536;
  double b = 256.0 * v - 128.0, f = 0;
  for (int32_t j = 0; j < m->k; j++) f += m->w[j] * below(b - m->mu[j], m->g[j]);
  return scaled(m, f, v);
}

/* cdf(m, v) and cdf(m, v + 1) in one pass over the components (0 < v, v + 1 < n) */
static inline void cdf2(const Mix *m, int32_t v, double *c0, double *c1) {
  double b = 256.0 * v - 128.0, f0 = 0, f1 = 0;
  for (int32_t j = 0; j < m->k; j++) {
    double d = b - m->mu[j], g = m->g[j], w = m->w[j];
    f0 += w * below(d, g);
    f1 += w * below(d + 256.0, g);
  }
  *c0 = scaled(m, f0, v);
  *c1 = scaled(m, f1, v + 1);
}

static inline uint32_t mix_encode(Coder *e, const Mix *m, int32_t v) {
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

static inline int32_t mix_decode(Coder *d, const Mix *m) {
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

/* ------------------------------------------------------------------ pixel stages */

/*
 * Tile state shared by the pixel stages: the known planes (3 x H x W, 128 where not yet
 * coded), the network residual planes (3 x H x W doubles) and the adaptive stage's
 * statistics (see adaptive-stage.ts).
 */
#define NF 30
#define NSTAGES 10
#define NSB 6
#define NACT 4
#define ZF 21
_Static_assert(ZF == ADAPT_ZFEATURES && ZF <= NF, "adaptive-stage.ts and l3c-core.c disagree on the z2 stage");
_Static_assert(NF == ADAPT_FEATURES && NSTAGES == ADAPT_STAGES, "adaptive-stage.ts and l3c-core.c disagree");
_Static_assert(sizeof ADAPT_SD_EDGES / sizeof(double) == NSB - 1, "SD_EDGES");
_Static_assert(sizeof ADAPT_ACT_EDGES / sizeof(double) == NACT - 1, "ACT_EDGES");

#define RS 32
_Static_assert(RS >= NF + 2 && RS % 8 == 0, "RS");

typedef struct {
  double A[NF * NF], b[NF], theta[NF];
  int32_t dirty;
} Group;

typedef struct {
  double E, S;
} TempCtx;

typedef struct {
  int32_t w, h, W, H, adapt;
  uint8_t *known;
  double *res;  /* network residuals r = v - m */
  double *err;  /* adapted residuals e = r - d */
  Group *groups;   /* NSTAGES x 3 */
  TempCtx *temps;  /* NSTAGES x 3 x NSB x NACT */
  /* The current grid row's regression samples per channel, added to A and b at the row's
     end: A and b are read only at row starts, and adding sample by sample per element in
     coding order is the spec's arithmetic exactly (it only keeps each sum in a register).
     A sample is RS doubles: rowF holds F_0..F_29, r (b's column) and 0; rowFw wt * F_i. */
  double *rowFw;   /* 3 x cap x RS */
  double *rowF;    /* 3 x cap x RS */
  int32_t rowCap, rowN[3];
} Tile;

Tile *EXPORT(l3c_tile_new)(int32_t w, int32_t h, int32_t adapt) {
  if (w < 1 || h < 1 || w > 4096 || h > 4096 || adapt < 0 || adapt > 3) return 0;
  Tile *t = l3c_alloc(sizeof(Tile));
  if (!t) return 0;
  t->w = w;
  t->h = h;
  t->W = (w + 7) & ~7;
  t->H = (h + 7) & ~7;
  t->adapt = adapt;
  uint32_t plane = (uint32_t)t->W * t->H;
  t->known = l3c_alloc(3 * plane);
  if (!t->known) return 0;
  for (uint32_t i = 0; i < 3 * plane; i++) t->known[i] = 128;
  if (adapt) {
    t->res = l3c_alloc(3 * plane * sizeof(double));
    t->err = l3c_alloc(3 * plane * sizeof(double));
    t->groups = l3c_alloc(NSTAGES * 3 * sizeof(Group));
    t->temps = l3c_alloc(NSTAGES * 3 * NSB * NACT * sizeof(TempCtx));
    t->rowCap = t->W / 2 + 1;
    t->rowFw = l3c_alloc(3 * t->rowCap * RS * sizeof(double));
    t->rowF = l3c_alloc(3 * t->rowCap * RS * sizeof(double));
    if (!t->res || !t->err || !t->groups || !t->temps || !t->rowFw || !t->rowF) return 0;
  }
  return t;
}

/* coefficient shifts of G (c = 1) and B (c = 2): coefShift / coefShift2 */
static inline void coef_shifts(int32_t c, const int32_t *coef, int32_t K, int32_t xr, int32_t xg, int32_t *out) {
  /* |products| < 2^23, so int32 arithmetic is exact, and >> 5 of an int32 is floor(/ 32) */
  for (int32_t k = 0; k < K; k++) {
    int32_t v = c == 1 ? clampi(coef[k], -4096, 4096) * (2 * xr - 255)
                       : clampi(coef[K + k], -4096, 4096) * (2 * xr - 255) + clampi(coef[2 * K + k], -4096, 4096) * (2 * xg - 255);
    out[k] = v >> 5;
  }
}

/* ---- adaptive stage "adapt-1" (specification: adaptive-stage.ts) ---- */

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
static void solve(int32_t n, const double *A, const double *b, double *x) {
  double Lc[NF * NF], s[NF], y[NF];
  for (int32_t j = 0; j < n; j++) {
    s[j] = A[j * n + j] + ADAPT_LAMBDA;
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
  for (int32_t c = 0; c < 3; c++) {
    Group *g = &t->groups[stage * 3 + c];
    const int32_t N = t->rowN[c];
    const double *fw = t->rowFw + (uintptr_t)c * t->rowCap * RS, *fs = t->rowF + (uintptr_t)c * t->rowCap * RS;
    row_sums(g, fw, fs, N);
    t->rowN[c] = 0;
    for (int32_t i = 0; i < NF; i++) {
      for (int32_t j = i; j < NF; j++) g->A[i * NF + j] *= ADAPT_DECAY_LS;
      g->b[i] *= ADAPT_DECAY_LS;
    }
  }
  TempCtx *tc = &t->temps[stage * 3 * NSB * NACT];
  for (int32_t i = 0; i < 3 * NSB * NACT; i++) {
    tc[i].E *= ADAPT_DECAY_TEMP;
    tc[i].S *= ADAPT_DECAY_TEMP;
  }
}

/*
 * Code one pixel stage (see l3c-model.ts): positions (gy, gx) of a gh x gw grid with
 * pixel (gy step + oy, gx step + ox) inside the tile, raster order, R G B each.
 * stage: index 0..9 in coding order (0 = base); rgb: the tile's packed RGB (w x h x 3),
 * read when encoding, written when decoding.
 */
void EXPORT(l3c_code_stage)(int32_t decode, Coder *cd, Tile *t, int32_t stage, const int32_t *params, int32_t K,
                            int32_t step, int32_t oy, int32_t ox, uint8_t *rgb) {
  const int32_t W = t->W, plane = t->W * t->H;
  const int32_t gh = t->H / step, gw = t->W / step, P = 12 * K, plane3 = 3 * K;
  int32_t ptype = 0, half = step;
  if (stage > 0) {
    half = step >> 1;
    ptype = oy == 0 ? 2 : (ox == 0 ? 3 : 1);
  }
  const int32_t adapt = t->adapt && stage < NSTAGES;
  int32_t shifts[MAXK];
  Mix mx;
  double F[NF];
  for (int32_t gy = 0; gy < gh; gy++) {
    const int32_t y = gy * step + oy;
    if (y >= t->h) break;
    if (adapt)
      for (int32_t c = 0; c < 3; c++) {
        Group *g = &t->groups[stage * 3 + c];
        if (g->dirty) {
          solve(NF, g->A, g->b, g->theta);
          g->dirty = 0;
        }
      }
    for (int32_t gx = 0; gx < gw; gx++) {
      const int32_t x = gx * step + ox;
      if (x >= t->w) break;
      if (cd->err) return;
      const int32_t *pp = params + (gy * gw + gx) * P;
      const int32_t o = y * W + x, src = (y * t->w + x) * 3;
      int32_t xv[3] = {0, 0, 0};
      double eprev[3] = {0, 0, 0};
      for (int32_t c = 0; c < 3; c++) {
        const int32_t *sh = 0;
        if (c > 0) {
          coef_shifts(c, pp + 3 * plane3, K, xv[0], xv[1], shifts);
          sh = shifts;
        }
        int32_t madd = 0, lsadd = 0;
        double m = 0, sd = 0, d = 0, vt = 0;
        TempCtx *tc = 0;
        Group *g = 0;
        if (adapt) {
          prepare(&mx, 256, K, pp, c * K, plane3, 2 * plane3, sh, 0, 0);
          /* network mean and standard deviation, in pixel units; the variance the
             temperature compares with: adapt-1 the network's, adapt-2 the contracted one */
          spread(&mx, t->adapt >= 2, ADAPT_RHO, &m, &sd, &vt);
          features(t, ptype, half, step, y, x, c, m, xv, eprev, F);
          g = &t->groups[stage * 3 + c];
          for (int32_t i = 0; i < NF; i++) d += g->theta[i] * F[i];
          double lim = t->adapt >= 2 ? ADAPT_CLIP2 * sd + 1.0 : sd + 1.0;
          if (d > lim) d = lim;
          if (d < -lim) d = -lim;
          madd = (int32_t)floor_(d * 256.0 + 0.5);
          double act = (fabs_(F[3]) + fabs_(F[4]) + fabs_(F[5]) + fabs_(F[6]) + 2.0 * fabs_(F[7])) / 6.0;
          int32_t sb = bucket(sd, ADAPT_SD_EDGES, NSB - 1);
          int32_t ab = bucket(act / (sd + 0.3), ADAPT_ACT_EDGES, NACT - 1);
          tc = &t->temps[((stage * 3 + c) * NSB + sb) * NACT + ab];
          lsadd = temp_offset(tc);
        }
        if (adapt) {
          readjust(&mx, madd, lsadd);
          if (t->adapt >= 2) contract(&mx, ADAPT_RHO - 1.0, 256.0 * m + madd);
          if (decode) hint(&mx, 256.0 * m + madd, vt, lsadd);
        } else
          prepare(&mx, 256, K, pp, c * K, plane3, 2 * plane3, sh, 0, 0);
        int32_t v;
        if (decode) {
          v = mix_decode(cd, &mx);
          rgb[src + c] = (uint8_t)v;
        } else {
          v = rgb[src + c];
          mix_encode(cd, &mx, v);
        }
        xv[c] = v;
        t->known[c * plane + o] = (uint8_t)v;
        if (adapt) {
          double yres = v - m, e = yres - d;
          eprev[c] = yres;
          t->res[c * plane + o] = yres;
          t->err[c * plane + o] = e;
          tc->E += e * e;
          tc->S += vt;
          double wt = 1.0 / (sd * sd + 1.0);
          int32_t n = t->rowN[c]++;
          double *fw = t->rowFw + ((uintptr_t)c * t->rowCap + n) * RS, *fs = t->rowF + ((uintptr_t)c * t->rowCap + n) * RS;
          for (int32_t i = 0; i < NF; i++) {
            fw[i] = wt * F[i];
            fs[i] = F[i];
          }
          fs[NF] = yres; /* fs[NF + 1..] stay 0 */
          g->dirty = 1;
        }
      }
    }
    if (adapt) row_end(t, stage);
  }
}

/*
 * adapt-3's z2 stage (specification: adaptive-stage.ts, "adapt-3"): the z2 symbols of one
 * tile, C x h x w, channel-major, params NHWC (P = 3 C K), alphabet L, each adjusted by a
 * per-channel regression, temperature and contraction. Its state lives for this call
 * (the caller's scratch and the stack).
 */
void EXPORT(l3c_code_z2a)(int32_t decode, Coder *cd, const int32_t *p, int32_t C, int32_t K, int32_t L, int32_t h,
                          int32_t w, uint8_t *sym, double *scratch) {
  /* scratch: 2 C h w doubles, the zres and zerr planes */
  const int32_t hw = h * w, ck = C * K;
  double *res = scratch, *err = scratch + (uintptr_t)C * hw;
  for (int32_t i = 0; i < C * hw; i++) res[i] = err[i] = 0;
  double A[ZF * ZF], b[ZF], th[ZF], G[ZF];
  Mix mx;
  for (int32_t c = 0; c < C; c++) {
    double E = 0, S = 0;
    for (int32_t i = 0; i < ZF * ZF; i++) A[i] = 0;
    for (int32_t i = 0; i < ZF; i++) b[i] = th[i] = 0;
    for (int32_t y = 0; y < h; y++) {
      if (y >= 1) solve(ZF, A, b, th);
      for (int32_t x = 0; x < w; x++) {
        if (cd->err) return;
        const int32_t i = y * w + x;
        prepare(&mx, L, K, p, i * 3 * ck + c * K, ck, 2 * ck, 0, 0, 0);
        double m, sd, vt;
        spread(&mx, 1, ADAPT_ZRHO, &m, &sd, &vt);
        for (int32_t q = 0; q < ZF; q++) G[q] = 0;
        G[0] = 1;
        for (int32_t q = 0; q < 4; q++) {
          int32_t a = y + CAUSAL[q][0], bb = x + CAUSAL[q][1];
          if (a >= 0 && bb >= 0 && bb < w) {
            int32_t o = c * hw + a * w + bb;
            G[1 + q] = res[o];
            G[5 + q] = sym[o] - m;
            G[9 + q] = err[o];
          }
        }
        for (int32_t r = 0; r < c && r < 4; r++) G[13 + r] = res[r * hw + i];
        if (c >= 1)
          for (int32_t q = 0; q < 4; q++) {
            int32_t a = y + ZAROUND[q][0], bb = x + ZAROUND[q][1];
            if (a >= 0 && a < h && bb >= 0 && bb < w) G[17 + q] = res[(c - 1) * hw + a * w + bb];
          }
        double d = 0;
        for (int32_t q = 0; q < ZF; q++) d += th[q] * G[q];
        double lim = ADAPT_CLIP2 * sd + 1.0;
        if (d > lim) d = lim;
        if (d < -lim) d = -lim;
        int32_t madd = (int32_t)floor_(d * 256.0 + 0.5);
        TempCtx tc = {E, S};
        const int32_t lsadd = temp_offset(&tc);
        readjust(&mx, madd, lsadd);
        contract(&mx, ADAPT_ZRHO - 1.0, 256.0 * m + madd);
        if (decode) hint(&mx, 256.0 * m + madd, vt, lsadd);
        int32_t v;
        if (decode) {
          v = mix_decode(cd, &mx);
          sym[c * hw + i] = (uint8_t)v;
        } else {
          v = sym[c * hw + i];
          mix_encode(cd, &mx, v);
        }
        double r = v - m, e = r - d;
        res[c * hw + i] = r;
        err[c * hw + i] = e;
        E = E + e * e;
        S = S + vt;
        double wt = 1.0 / (sd * sd + 1.0);
        for (int32_t q = 0; q < ZF; q++) {
          double f = wt * G[q];
          for (int32_t j = q; j < ZF; j++) A[q * ZF + j] = A[q * ZF + j] + f * G[j];
          b[q] = b[q] + f * r;
        }
      }
      for (int32_t q = 0; q < ZF; q++) {
        for (int32_t j = q; j < ZF; j++) A[q * ZF + j] *= ADAPT_ZDECAY;
        b[q] *= ADAPT_ZDECAY;
      }
      E *= ADAPT_DECAY_TEMP;
      S *= ADAPT_DECAY_TEMP;
    }
  }
}
