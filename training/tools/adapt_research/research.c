// Research harness for the adaptive stage (training/tools/adapt_research/README.md): exact
// integer code lengths of adaptive-stage variants for one tile, from cached stage params.
// A measurement, not product code: the product is shared/adaptive-stage.ts + shared/wasm/l3c-core.c.
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int32_t SIG[2049], EXPT[2561];
void init_tables(const int32_t *sig, const int32_t *ex) {
  memcpy(SIG, sig, sizeof SIG);
  memcpy(EXPT, ex, sizeof EXPT);
}

#define MAXK 32
typedef struct {
  int k, n;
  double w[MAXK], mu[MAXK], g[MAXK];
} Mix;

static inline int clampi(int v, int lo, int hi) { return v < lo ? lo : (v > hi ? hi : v); }

// logits/means/scales at p[off + j], p[off + j + mo], p[off + j + so]
static void prepare(Mix *m, int n, int K, const int32_t *p, int off, int mo, int so, const int *shifts, int madd,
                    int lsadd) {
  m->n = n;
  m->k = K;
  int mx = -32768, kmax = 0;
  int l[MAXK];
  for (int j = 0; j < K; j++) {
    int v = clampi(p[off + j], -32768, 32768);
    l[j] = v;
    if (j == 0 || v > mx) {
      mx = v;
      kmax = j;
    }
    long mu = (long)p[off + mo + j] + (shifts ? shifts[j] : 0) + madd;
    if (mu < -256L * n) mu = -256L * n;
    if (mu > 512L * n) mu = 512L * n;
    m->mu[j] = (double)mu;
    int ls = clampi(clampi(p[off + so + j], -512, 768) + lsadd, -512, 768);
    m->g[j] = EXPT[512 + ls];
  }
  double e[MAXK], E = 0;
  for (int j = 0; j < K; j++) {
    int u = mx - l[j];
    e[j] = EXPT[512 + (u < 2048 ? u : 2048)];
    E += e[j];
  }
  double sum = 0;
  for (int j = 0; j < K; j++) {
    m->w[j] = floor(e[j] * 32768.0 / E);
    sum += m->w[j];
  }
  m->w[kmax] += 32768.0 - sum;
}

static inline double cdfv(const Mix *m, int v) {
  if (v <= 0) return 0;
  if (v >= m->n) return 65536;
  double b = 256.0 * v - 128.0, f = 0;
  for (int j = 0; j < m->k; j++) {
    if (m->w[j] == 0) continue;
    double d = b - m->mu[j];
    double q = floor(fabs(d) * m->g[j] / 8192.0);
    double s = 1048576.0;
    if (q < 524288) {
      int qi = (int)q, i = qi >> 8;
      s = SIG[i] + (((SIG[i + 1] - SIG[i]) * (qi & 255)) >> 8);
    }
    f += m->w[j] * (d >= 0 ? s : 1048576.0 - s);
  }
  return floor(f * (65536.0 - m->n) / 34359738368.0) + v;
}

static inline double freq(const Mix *m, int v) { return cdfv(m, v + 1) - cdfv(m, v); }
static inline double freq_mix(const Mix *a, const Mix *b, int wq, int v) {
  // C(v) = floor((wq Ca + (256 - wq) Cb) / 256)
  double hi = floor((wq * cdfv(a, v + 1) + (256 - wq) * cdfv(b, v + 1)) / 256.0);
  double lo = floor((wq * cdfv(a, v) + (256 - wq) * cdfv(b, v)) / 256.0);
  return hi - lo;
}
static inline double bits_of(double f) { return 16.0 - log2(f); }

/* mean and variance (pixel or level units) of a prepared mixture, as the product's step 1 */
static void mix_moments(const Mix *mn, double *mean, double *var) {
  double m = 0, m2 = 0;
  for (int j = 0; j < mn->k; j++) {
    double mu = mn->mu[j] / 256.0, sc = 1048576.0 / mn->g[j];
    m += mn->w[j] * mu;
    m2 += mn->w[j] * (sc * sc * 3.289868133696453 + mu * mu);
  }
  m /= 32768.0;
  m2 /= 32768.0;
  *mean = m;
  *var = m2 - m * m;
}

// ------------------------------------------------------------------ configuration
typedef struct {
  int feat_mask_lo, feat_mask_hi;  // which of the 33 features (bit i)
  double lam, decay_ls, wpow, clip;
  int nband;
  double decay_b, n0;
  int nsb, t_act;
  double decay_t, decay_m;
  int do_temp, do_mix;
  int stage_mask;  // stages (bit s) where the adaptive stage runs
  double prior_scale;  // multiply theta0 by this
  int ls_every;        // accumulate LS stats every n-th position
  int temp_mode, temp_every;
  double temp_off;
  double rho;  /* adapt-2: contract component means toward the adapted mean (1: off, adapt-1) */
} Cfg;

#define NF 38
#define NS 10
#define NTAU 8
#define NW 7
static const double TAUS[NTAU] = {-0.45, -0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.35};
static const double WGRID[NW] = {0.0, 0.1, 0.2, 0.35, 0.5, 0.7, 1.0};

static const int PH[4][2] = {{0, 0}, {1, 1}, {0, 1}, {1, 0}};
// neighbour offsets in units of half, per phase type
static const int NBL[4][16][2] = {
    {{0}},
    {{-1, -1}, {-1, 1}, {1, -1}, {1, 1}, {-1, -3}, {-1, 3}, {1, -3}, {1, 3}, {-3, -1}, {-3, 1}, {3, -1}, {3, 1}},
    {{0, -1}, {0, 1}, {-1, 0}, {1, 0}, {-2, -1}, {-2, 1}, {2, -1}, {2, 1}, {-1, -2}, {-1, 2}, {1, -2}, {1, 2}},
    {{-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {-1, 1}, {1, -1}, {1, 1}, {-1, -2}, {-1, 2}, {1, -2}, {1, 2},
     {-2, -1}, {-2, 1}, {2, -1}, {2, 1}}};
static const int NNBL[4] = {0, 12, 12, 16};
static const int HP[4][2][2] = {{{0}}, {{-1, -1}, {1, 1}}, {{0, -1}, {0, 1}}, {{0, -1}, {0, 1}}};
static const int VP[4][2][2] = {{{0}}, {{-1, 1}, {1, -1}}, {{-1, 0}, {1, 0}}, {{-1, 0}, {1, 0}}};
static const int PP[4][6][2] = {{{0}},
                                {{-1, -1}, {-1, 1}, {1, -1}, {1, 1}},
                                {{-1, 0}, {1, 0}},
                                {{0, -1}, {0, 1}, {-1, -1}, {-1, 1}, {1, -1}, {1, 1}}};
static const int NPP[4] = {0, 4, 2, 6};

typedef struct {
  int h, w, H, W;
  const uint8_t *px;  // h x w x 3
  uint8_t *known;     // 3 x H x W (128 unknown)
  uint8_t *dec;       // H x W decoded mask
  double *res;        // 3 x H x W network residual (pixel units), 0 where unknown
  double *ares;       // adapted residual
} Tile;

static inline int inb(const Tile *t, int y, int x) { return y >= 0 && y < t->h && x >= 0 && x < t->w; }

// value at (y+oy, x+ox), mirrored per axis when outside; returns 0 if unavailable
static inline int nbpos(const Tile *t, int y, int x, int oy, int ox, int *yy, int *xx) {
  int a = y + oy, b = x + ox;
  if (a < 0 || a >= t->h) a = y - oy;
  if (b < 0 || b >= t->w) b = x - ox;
  if (!inb(t, a, b)) return 0;
  *yy = a;
  *xx = b;
  return 1;
}

// ------------------------------------------------------------------ per-tile state
typedef struct {
  double A[NF * NF], b[NF], theta[NF];
  int has, dirty;
} Group;

typedef struct {
  double S, N;
} BiasCtx;

typedef struct {
  double L[NTAU];
  double M[NW];
  double E, S;
} TempCtx;

// outputs: bits[variant][stage]: variants 0 net, 1 LS, 2 LS+bias, 3 +temp, 4 +mix
#define NVAR 5

static void cholesky_solve(int D, const double *A, double lam, const double *b, double *x) {
  double Lm[NF * NF];
  for (int i = 0; i < D; i++) {
    for (int j = 0; j <= i; j++) {
      double s = A[i * NF + j] + (i == j ? lam : 0);
      for (int k = 0; k < j; k++) s -= Lm[i * NF + k] * Lm[j * NF + k];
      if (i == j)
        Lm[i * NF + i] = sqrt(s > 1e-12 ? s : 1e-12);
      else
        Lm[i * NF + j] = s / Lm[j * NF + j];
    }
  }
  double y[NF];
  for (int i = 0; i < D; i++) {
    double s = b[i];
    for (int k = 0; k < i; k++) s -= Lm[i * NF + k] * y[k];
    y[i] = s / Lm[i * NF + i];
  }
  for (int i = D - 1; i >= 0; i--) {
    double s = y[i];
    for (int k = i + 1; k < D; k++) s -= Lm[k * NF + i] * x[k];
    x[i] = s / Lm[i * NF + i];
  }
}

static int sbucket(double sd, int nb) {
  // edges exp(linspace(log 0.8, log 25, nb - 1))
  int k = 0;
  for (int i = 0; i < nb - 1; i++) {
    double e = exp(log(0.8) + (log(25.0) - log(0.8)) * i / (nb - 2 > 0 ? nb - 2 : 1));
    if (sd > e) k = i + 1;
  }
  return k;
}

// theta0: [13 stages][3 ch][nband][NF] prior (may be NULL); stats_out: if non-NULL, accumulate
// static regression stats [NS][3][nband][NF*NF + NF] (A, b with y = true residual, no decay)
int tile_bits(const uint8_t *px, int h, int w, int K, const int32_t **params, const Cfg *cfg, const double *theta0,
              double *bits, double *stats_out) {
  Tile t;
  t.h = h;
  t.w = w;
  t.H = (h + 7) & ~7;
  t.W = (w + 7) & ~7;
  t.px = px;
  int H = t.H, W = t.W, plane = H * W;
  t.known = malloc(3 * plane);
  memset(t.known, 128, 3 * plane);
  t.dec = calloc(plane, 1);
  t.res = calloc(3 * plane, sizeof(double));
  t.ares = calloc(3 * plane, sizeof(double));
  int nband = cfg->nband;
  int fidx[NF], D = 0;
  for (int i = 0; i < NF; i++)
    if (i < 32 ? (cfg->feat_mask_lo >> i) & 1 : (cfg->feat_mask_hi >> (i - 32)) & 1) fidx[D++] = i;
  Group *groups = calloc(NS * 3 * nband, sizeof(Group));
  int nsb = cfg->nsb, na = cfg->t_act;
  BiasCtx *bctx = calloc(NS * 3 * nsb * 32, sizeof(BiasCtx));
  TempCtx *tctx = calloc(NS * 3 * nsb * na, sizeof(TempCtx));
  int P = 12 * K;
  Mix mn, ma, mt[NTAU];
  int shifts[MAXK];
  const double bandE[2] = {1.5, 5.0};
  for (int s = 0; s < NS; s++) {
    int step, oy, ox, half, ptype;
    if (s == 0) {
      step = 8;
      oy = ox = 0;
      half = 8;
      ptype = 0;
    } else {
      int lv = 3 - (s - 1) / 3, p = 1 + (s - 1) % 3;
      half = 1 << (lv - 1);
      step = 2 * half;
      oy = PH[p][0] * half;
      ox = PH[p][1] * half;
      ptype = p;
    }
    int adapt = (cfg->stage_mask >> s) & 1;
    int gh = H / step, gw = W / step;
    const int32_t *prm = params[s];
    for (int gy = 0; gy < gh; gy++) {
      int yy = gy * step + oy;
      if (yy >= h) break;
      // row start: solve groups of this stage
      if (adapt)
        for (int c = 0; c < 3; c++)
          for (int bnd = 0; bnd < nband; bnd++) {
            Group *g = &groups[(s * 3 + c) * nband + bnd];
            const double *th0 = theta0 ? theta0 + ((s * 3 + c) * nband + bnd) * NF : NULL;
            if (g->dirty || (!g->has && th0)) {
              double Ad[NF * NF], bd[NF], x[NF];
              for (int i = 0; i < D; i++) {
                bd[i] = g->b[fidx[i]] + (th0 ? cfg->lam * cfg->prior_scale * th0[fidx[i]] : 0);
                for (int j = 0; j < D; j++) Ad[i * NF + j] = g->A[fidx[i] * NF + fidx[j]];
              }
              cholesky_solve(D, Ad, cfg->lam, bd, x);
              memset(g->theta, 0, sizeof g->theta);
              for (int i = 0; i < D; i++) g->theta[fidx[i]] = x[i];
              g->has = 1;
              g->dirty = 0;
            }
          }
      for (int gx = 0; gx < gw; gx++) {
        int xx = gx * step + ox;
        if (xx >= w) break;
        const int32_t *pp = prm + (gy * gw + gx) * P;
        int xv[3] = {px[(yy * w + xx) * 3], px[(yy * w + xx) * 3 + 1], px[(yy * w + xx) * 3 + 2]};
        double eprev[3] = {0, 0, 0};
        for (int c = 0; c < 3; c++) {
          int plane3 = 3 * K, base = c * K;
          const int32_t *coef = pp + 3 * plane3;
          const int *sh = NULL;
          if (c == 1) {
            for (int k = 0; k < K; k++)
              shifts[k] = (int)floor((clampi(coef[k], -4096, 4096) * (2.0 * xv[0] - 255)) / 32.0);
            sh = shifts;
          } else if (c == 2) {
            for (int k = 0; k < K; k++)
              shifts[k] = (int)floor((clampi(coef[K + k], -4096, 4096) * (2.0 * xv[0] - 255) +
                                      clampi(coef[2 * K + k], -4096, 4096) * (2.0 * xv[1] - 255)) /
                                     32.0);
            sh = shifts;
          }
          prepare(&mn, 256, K, pp, base, plane3, 2 * plane3, sh, 0, 0);
          // network mean and sd (pixel units)
          double m, var;
          mix_moments(&mn, &m, &var);
          double sd = sqrt(var > 1e-6 ? var : 1e-6);
          double vs = 0;
          for (int j = 0; j < K; j++) {
            double dv = mn.mu[j] / 256.0 - m;
            vs += mn.w[j] * dv * dv;
          }
          vs /= 32768.0;
          double vc = var - vs;
          double sdr = sqrt(vc + cfg->rho * cfg->rho * vs > 1e-6 ? vc + cfg->rho * cfg->rho * vs : 1e-6);
          int v = xv[c];
          double b0 = bits_of(freq(&mn, v));
          bits[0 * NS + s] += b0;
          double y = v - m;
          double dlast = 0;
          if (adapt || stats_out) {
            // ---- features
            double F[NF];
            memset(F, 0, sizeof F);
            F[0] = 1;
            int ny, nx;
#define KN(cc, oyy, oxx, dflt) (nbpos(&t, yy, xx, (oyy), (oxx), &ny, &nx) ? t.known[(cc) * plane + ny * W + nx] : (dflt))
#define RS(cc, oyy, oxx) (nbpos(&t, yy, xx, (oyy), (oxx), &ny, &nx) ? t.res[(cc) * plane + ny * W + nx] : 0.0)
            F[1] = c >= 1 ? eprev[0] : 0;
            F[2] = c == 2 ? eprev[1] : 0;
            // causal same-phase residuals W, N, NW, NE (distance step)
            {
              const int co[4][2] = {{0, -1}, {-1, 0}, {-1, -1}, {-1, 1}};
              for (int q = 0; q < 4; q++) {
                int a = yy + co[q][0] * step, bq = xx + co[q][1] * step;
                double r = 0, val = m;
                if (inb(&t, a, bq)) {
                  r = t.res[c * plane + a * W + bq];
                  val = t.known[c * plane + a * W + bq];
                }
                F[3 + q] = r;
                F[29 + q] = val - m;
                F[33 + q] = inb(&t, a, bq) ? t.ares[c * plane + a * W + bq] : 0;
              }
            }
            if (ptype > 0) {
              double ep = 0;
              for (int q = 0; q < NPP[ptype]; q++) ep += RS(c, PP[ptype][q][0] * half, PP[ptype][q][1] * half);
              F[7] = ep / NPP[ptype];
              {
                double ea = 0;
                for (int q = 0; q < NPP[ptype]; q++) {
                  int ny2, nx2;
                  if (nbpos(&t, yy, xx, PP[ptype][q][0] * half, PP[ptype][q][1] * half, &ny2, &nx2)) ea += t.ares[c * plane + ny2 * W + nx2];
                }
                F[37] = ea / NPP[ptype];
              }
              double H0 = KN(c, HP[ptype][0][0] * half, HP[ptype][0][1] * half, m);
              double H1 = KN(c, HP[ptype][1][0] * half, HP[ptype][1][1] * half, m);
              double V0 = KN(c, VP[ptype][0][0] * half, VP[ptype][0][1] * half, m);
              double V1 = KN(c, VP[ptype][1][0] * half, VP[ptype][1][1] * half, m);
              double Ph = 0.5 * (H0 + H1), Pv = 0.5 * (V0 + V1), ghh = fabs(H0 - H1), gvv = fabs(V0 - V1);
              double wh = 1.0 / ((ghh + 1) * (ghh + 1)), wv = 1.0 / ((gvv + 1) * (gvv + 1));
              F[8] = Ph - m;
              F[9] = Pv - m;
              F[10] = (wh * Ph + wv * Pv) / (wh + wv) - m;
              for (int r = 0; r < c && r < 2; r++) {
                double Hr0 = KN(r, HP[ptype][0][0] * half, HP[ptype][0][1] * half, xv[r]);
                double Hr1 = KN(r, HP[ptype][1][0] * half, HP[ptype][1][1] * half, xv[r]);
                double Vr0 = KN(r, VP[ptype][0][0] * half, VP[ptype][0][1] * half, xv[r]);
                double Vr1 = KN(r, VP[ptype][1][0] * half, VP[ptype][1][1] * half, xv[r]);
                double dh = 0.5 * ((H0 - Hr0) + (H1 - Hr1)), dv = 0.5 * ((V0 - Vr0) + (V1 - Vr1));
                double g1 = ghh + fabs(Hr0 - Hr1), g2 = gvv + fabs(Vr0 - Vr1);
                double w1 = 1.0 / ((g1 + 1) * (g1 + 1)), w2 = 1.0 / ((g2 + 1) * (g2 + 1));
                F[11 + (c == 1 ? 0 : r)] = xv[r] + (w1 * dh + w2 * dv) / (w1 + w2) - m;
              }
              for (int q = 0; q < NNBL[ptype]; q++) F[13 + q] = KN(c, NBL[ptype][q][0] * half, NBL[ptype][q][1] * half, m) - m;
            } else {
              // base stage: causal classical predictors
              double Wv = F[29] + m, Nv = F[30] + m, NWv = F[31] + m, NEv = F[32] + m;
              double mx = Wv > Nv ? Wv : Nv, mnv = Wv < Nv ? Wv : Nv, med;
              if (NWv >= mx) med = mnv;
              else if (NWv <= mnv) med = mx;
              else med = Wv + Nv - NWv;
              F[8] = med - m;
              F[9] = 0.5 * (Wv + NEv) - m;
              for (int r = 0; r < c && r < 2; r++) {
                double Wr = (xx - step >= 0) ? t.known[r * plane + yy * W + xx - step] : xv[r];
                double Nr = (yy - step >= 0) ? t.known[r * plane + (yy - step) * W + xx] : xv[r];
                F[11 + (c == 1 ? 0 : r)] = xv[r] + 0.5 * ((Wv - Wr) + (Nv - Nr)) - m;
              }
            }
            int bnd = 0;
            for (int i = 0; i < nband - 1; i++)
              if (sd > bandE[i]) bnd = i + 1;
            double wt = pow(1.0 / (sd * sd + 1.0), cfg->wpow);
            if (stats_out) {
              double *st = stats_out + ((s * 3 + c) * nband + bnd) * (NF * NF + NF);
              for (int i = 0; i < NF; i++) {
                double fi = wt * F[i];
                for (int j = 0; j < NF; j++) st[i * NF + j] += fi * F[j];
                st[NF * NF + i] += fi * y;
              }
            }
            if (adapt) {
              Group *g = &groups[(s * 3 + c) * nband + bnd];
              double d = 0;
              if (g->has)
                for (int i = 0; i < D; i++) d += g->theta[fidx[i]] * F[fidx[i]];
              if (cfg->clip > 0) {
                double lim = cfg->clip * sd + 1.0;
                if (d > lim) d = lim;
                if (d < -lim) d = -lim;
              }
              if (((gx + gy) % cfg->ls_every) == 0) {
                for (int i = 0; i < D; i++) {
                  double fi = wt * F[fidx[i]];
                  for (int j = 0; j < D; j++) g->A[fidx[i] * NF + fidx[j]] += fi * F[fidx[j]];
                  g->b[fidx[i]] += fi * y;
                }
                g->dirty = 1;
              }
              dlast = d;
              int madd1 = (int)floor(d * 256.0 + 0.5);
              prepare(&ma, 256, K, pp, base, plane3, 2 * plane3, sh, madd1, 0);
              bits[1 * NS + s] += bits_of(freq(&ma, v));
              // bias
              int pat = 0;
              if (ptype > 0) {
                for (int q = 0; q < 4; q++) pat |= (F[13 + q] > 0) << q;
              } else {
                for (int q = 0; q < 4; q++) pat |= (F[29 + q] > 0) << q;
              }
              if (c >= 1) pat |= (eprev[0] > 0) << 4;
              int sb = sbucket(sd, nsb);
              BiasCtx *bc = &bctx[((s * 3 + c) * nsb + sb) * 32 + pat];
              double bias = bc->S / (bc->N + cfg->n0);
              double d2 = d + bias;
              int madd2 = (int)floor(d2 * 256.0 + 0.5);
              prepare(&ma, 256, K, pp, base, plane3, 2 * plane3, sh, madd2, 0);
              double b2 = bits_of(freq(&ma, v));
              bits[2 * NS + s] += b2;
              bc->S += (v - m - d);
              bc->N += 1;
              // temperature FTL
              int ab = 0;
              if (na > 1) {
                double act = (fabs(F[3]) + fabs(F[4]) + fabs(F[5]) + fabs(F[6]) + 2 * fabs(F[7])) / 6.0;
                double r = act / (sd + 0.3);
                const double ae[5] = {0.5, 0.8, 1.2, 1.8, 2.7};
                for (int i = 0; i < na - 1; i++)
                  if (r > ae[i]) ab = i + 1;
              }
              TempCtx *tc = &tctx[((s * 3 + c) * nsb + sb) * na + ab];
              double b3 = b2, b4 = b2;
              if (cfg->do_temp && cfg->temp_mode == 0) {
                int best = 4;
                double bl = tc->L[4];
                for (int q = 0; q < NTAU; q++) {
                  double lq = tc->L[q] + (q != 4 ? 1e-3 : 0);
                  if (lq < bl) {
                    bl = lq;
                    best = q;
                  }
                }
                int upd = ((gx + gy) % cfg->temp_every) == 0;
                double lt[NTAU];
                for (int q = 0; q < NTAU; q++) {
                  if (!upd && q != best) continue;
                  int lsq = (int)floor(TAUS[q] * 128 + 0.5);
                  prepare(&mt[q], 256, K, pp, base, plane3, 2 * plane3, sh, madd2, lsq);
                  lt[q] = bits_of(freq(&mt[q], v));
                }
                b3 = lt[best];
                if (upd) for (int q = 0; q < NTAU; q++) tc->L[q] += lt[q];
                bits[3 * NS + s] += b3;
                ma = mt[best];
              } else if (cfg->do_temp) {
                double tau = 0;
                if (tc->S > 0) {
                  double r = tc->E / tc->S;
                  tau = (cfg->temp_mode == 2 ? 0.5 * log(r) : log(r)) + cfg->temp_off;
                  if (tau < -0.6) tau = -0.6;
                  if (tau > 0.5) tau = 0.5;
                }
                int lsq = (int)floor(tau * 128 + 0.5);
                prepare(&ma, 256, K, pp, base, plane3, 2 * plane3, sh, madd2, lsq);
                if (cfg->rho != 1.0)
                  for (int j = 0; j < K; j++) ma.mu[j] += floor((cfg->rho - 1.0) * (mn.mu[j] - 256.0 * m) + 0.5);
                b3 = bits_of(freq(&ma, v));
                bits[3 * NS + s] += b3;
                double e = v - m - d2;
                if (cfg->temp_mode == 2) { tc->E += e * e; tc->S += sdr * sdr; }
                else { tc->E += fabs(e); tc->S += sd * 0.5513288954217921; }  /* E|x| of logistic = s ln 4; sd = s pi/sqrt3 */
              }
              if (cfg->do_temp) {
                if (cfg->do_mix) {
                  int bw = NW - 1;
                  double bm = tc->M[NW - 1];
                  for (int q = 0; q < NW; q++) {
                    double lq = tc->M[q] + (q < NW - 1 ? 1e-3 : 0);
                    if (lq < bm) {
                      bm = lq;
                      bw = q;
                    }
                  }
                  int wq = (int)floor(WGRID[bw] * 256 + 0.5);
                  b4 = bits_of(freq_mix(&ma, &mn, wq, v));
                  double pa = pow(2.0, -b3), pb = pow(2.0, -b0);
                  for (int q = 0; q < NW; q++) tc->M[q] += -log2(WGRID[q] * pa + (1 - WGRID[q]) * pb);
                } else
                  b4 = b3;
              }
              bits[3 * NS + s] += 0;
              bits[4 * NS + s] += b4;
              (void)b4;
            } else {
              for (int q = 1; q < NVAR; q++) bits[q * NS + s] += b0;
            }
          } else {
            for (int q = 1; q < NVAR; q++) bits[q * NS + s] += b0;
          }
          eprev[c] = y;
          t.ares[c * plane + yy * W + xx] = y - dlast;
          t.res[c * plane + yy * W + xx] = y;
          t.known[c * plane + yy * W + xx] = v;
        }
        t.dec[yy * W + xx] = 1;
      }
      // row end: decay
      if (adapt) {
        for (int c = 0; c < 3; c++)
          for (int bnd = 0; bnd < nband; bnd++) {
            Group *g = &groups[(s * 3 + c) * nband + bnd];
            for (int i = 0; i < NF * NF; i++) g->A[i] *= cfg->decay_ls;
            for (int i = 0; i < NF; i++) g->b[i] *= cfg->decay_ls;
          }
        for (int i = s * 3 * nsb * 32; i < (s + 1) * 3 * nsb * 32; i++) {
          bctx[i].S *= cfg->decay_b;
          bctx[i].N *= cfg->decay_b;
        }
        for (int i = s * 3 * nsb * na; i < (s + 1) * 3 * nsb * na; i++) {
          for (int q = 0; q < NTAU; q++) tctx[i].L[q] *= cfg->decay_t;
          for (int q = 0; q < NW; q++) tctx[i].M[q] *= cfg->decay_m;
          tctx[i].E *= cfg->decay_t;
          tctx[i].S *= cfg->decay_t;
        }
      }
    }
  }
  // if temp disabled: variant 3 = variant 2
  if (!cfg->do_temp)
    for (int s = 0; s < NS; s++) bits[3 * NS + s] = bits[2 * NS + s];
  free(t.known);
  free(t.dec);
  free(t.res);
  free(t.ares);
  free(groups);
  free(bctx);
  free(tctx);
  return 0;
}

// ---------------------------------------------------------------- z symbols
// z: C x h x w uint8 levels; prm: h x w x 3CK (NHWC). bits[0] net, [1] LS, [2] +temp
#define NZF 16
int zs_bits(const uint8_t *z, const int32_t *prm, int C, int K, int L, int h, int w, double lam, double decay, int mode,
            double *bits) {
  int hw = h * w, P = 3 * C * K;
  double *res = calloc(C * hw, sizeof(double));
  Mix mn, ma;
  for (int c = 0; c < C; c++) {
    double A[NZF * NZF] = {0}, b[NZF] = {0}, th[NZF] = {0};
    double E = 0, S = 0;
    int has = 0;
    for (int y = 0; y < h; y++) {
      if (has) {
        double Ad[NZF * NZF];
        memcpy(Ad, A, sizeof Ad);
        // reuse cholesky with NF stride: copy into NF layout
        double Af[NF * NF], bf[NF], xf[NF];
        for (int i = 0; i < NZF; i++) {
          bf[i] = b[i];
          for (int j = 0; j < NZF; j++) Af[i * NF + j] = A[i * NZF + j];
        }
        cholesky_solve(NZF, Af, lam, bf, xf);
        for (int i = 0; i < NZF; i++) th[i] = xf[i];
      }
      for (int x = 0; x < w; x++) {
        int i = y * w + x;
        int off = i * P + c * K;
        prepare(&mn, L, K, prm, off, C * K, 2 * C * K, NULL, 0, 0);
        double m, var;
        mix_moments(&mn, &m, &var);
        double sd = sqrt(var > 1e-6 ? var : 1e-6);
        int v = z[c * hw + i];
        bits[0] += bits_of(freq(&mn, v));
        double F[NZF] = {0};
        F[0] = 1;
        const int co[4][2] = {{0, -1}, {-1, 0}, {-1, -1}, {-1, 1}};
        for (int q = 0; q < 4; q++) {
          int a = y + co[q][0], bq = x + co[q][1];
          if (a >= 0 && bq >= 0 && bq < w) {
            F[1 + q] = res[c * hw + a * w + bq];
            F[5 + q] = z[c * hw + a * w + bq] - m;
          }
        }
        // earlier channels: residual at the same position and the mean of 4 neighbours' residuals
        for (int cc = 0; cc < c && cc < 3; cc++) {
          F[9 + cc] = res[cc * hw + i];
        }
        if (c > 0) {
          int cc = c - 1;
          double s4 = 0;
          int n4 = 0;
          const int nb[4][2] = {{0, 1}, {1, 0}, {0, -1}, {-1, 0}};
          for (int q = 0; q < 4; q++) {
            int a = y + nb[q][0], bq = x + nb[q][1];
            if (a >= 0 && a < h && bq >= 0 && bq < w) {
              s4 += res[cc * hw + a * w + bq];
              n4++;
            }
          }
          F[12] = n4 ? s4 / n4 : 0;
          F[13] = c >= 2 ? res[(c - 2) * hw + i] * res[(c - 1) * hw + i] * 0 : 0;
        }
        double d = 0;
        for (int q = 0; q < NZF; q++) d += th[q] * F[q];
        double lim = sd + 1.0;
        if (d > lim) d = lim;
        if (d < -lim) d = -lim;
        if (mode == 0) d = 0;
        int madd = (int)floor(d * 256 + 0.5);
        prepare(&ma, L, K, prm, off, C * K, 2 * C * K, NULL, madd, 0);
        bits[1] += bits_of(freq(&ma, v));
        double tau = 0;
        if (S > 0) {
          tau = 0.5 * log(E / S);
          if (tau < -0.6) tau = -0.6;
          if (tau > 0.5) tau = 0.5;
        }
        prepare(&ma, L, K, prm, off, C * K, 2 * C * K, NULL, madd, (int)floor(tau * 128 + 0.5));
        bits[2] += bits_of(freq(&ma, v));
        double e = v - m - d;
        E = E * 0.999 + e * e;
        S = S * 0.999 + sd * sd;
        double y0 = v - m, wt = 1.0 / (sd * sd + 1.0);
        for (int q = 0; q < NZF; q++) {
          for (int r = 0; r < NZF; r++) A[q * NZF + r] += wt * F[q] * F[r];
          b[q] += wt * F[q] * y0;
        }
        has = 1;
        res[c * hw + i] = y0;
      }
      for (int q = 0; q < NZF * NZF; q++) A[q] *= decay;
      for (int q = 0; q < NZF; q++) b[q] *= decay;
    }
  }
  free(res);
  return 0;
}
