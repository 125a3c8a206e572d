/*
 * l3c-core, part 4 of 7: A coded tile's state for the pixel stages: known planes, residuals, the adaptive statistics.
 * Compiled as one translation unit through l3c-core.c (included in order, never alone).
 */

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

/* adapt-4: contexts of the two maps, by (stage, channel, sd bucket) and then the bucket of
   the correction (ND) or of the neighbours' adapted residuals (NE); adapt-5: a third map's,
   by the bucket of the previous channel's adapted residual (NE) */
#define ND ((int32_t)(sizeof ADAPT_SSE_D_EDGES / sizeof(double)) + 1)
#define NE ((int32_t)(sizeof ADAPT_SSE_E_EDGES / sizeof(double)) + 1)
#define NSSE1 (NSTAGES * 3 * NSB * ND)
#define NSSE2 (NSSE1 + NSTAGES * 3 * NSB * NE)
#define NSSE3 (NSSE2 + NSTAGES * 3 * NSB * NE)

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
  /* the pixel stages' constants (adapt-1..5: ADAPT_*; adapt-6: ADAPT6_*, SPEC.md §7.12) */
  double lambda, decayLs[NSTAGES], decayTemp, rho, ssePrior;
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
  /* adapt-4: per context a histogram of the coded shares (SSE_BINS), its table (SSE_BINS + 1
     knots, recomputed when the histogram changed since it was last read) */
  double *sseH, *sseT;
  uint8_t *sseDirty;
} Tile;

Tile *EXPORT(l3c_tile_new)(int32_t w, int32_t h, int32_t adapt) {
  if (w < 1 || h < 1 || w > 4096 || h > 4096 || adapt < 0 || adapt > 6) return 0;
  Tile *t = l3c_alloc(sizeof(Tile));
  if (!t) return 0;
  t->w = w;
  t->h = h;
  t->W = (w + 7) & ~7;
  t->H = (h + 7) & ~7;
  t->adapt = adapt;
  const int32_t a6 = adapt >= 6;
  t->lambda = a6 ? ADAPT6_LAMBDA : ADAPT_LAMBDA;
  for (int32_t s = 0; s < NSTAGES; s++) t->decayLs[s] = a6 ? (s >= ADAPT6_LEVEL1 ? ADAPT6_DECAY_LS1 : ADAPT6_DECAY_LS) : ADAPT_DECAY_LS;
  t->decayTemp = a6 ? ADAPT6_DECAY_TEMP : ADAPT_DECAY_TEMP;
  t->rho = a6 ? ADAPT6_RHO : ADAPT_RHO;
  t->ssePrior = a6 ? ADAPT6_SSE_PRIOR : ADAPT_SSE_PRIOR;
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
  if (adapt >= 4) {
    const int32_t n = adapt >= 5 ? NSSE3 : NSSE2;
    t->sseH = l3c_alloc(n * SSE_BINS * sizeof(double));
    t->sseT = l3c_alloc(n * (SSE_BINS + 1) * sizeof(double));
    t->sseDirty = l3c_alloc(n);
    if (!t->sseH || !t->sseT || !t->sseDirty) return 0;
    for (int32_t i = 0; i < n; i++) t->sseDirty[i] = 1;
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
