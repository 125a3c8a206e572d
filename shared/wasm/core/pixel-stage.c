/*
 * l3c-core, part 6 of 7: One pixel stage coded in the order of SPEC.md §4.5, with its adaptive stage (§7).
 * Compiled as one translation unit through l3c-core.c (included in order, never alone).
 */

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
          solve(NF, t->lambda, g->A, g->b, g->theta);
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
      /* what the pixel's later channels read as features 1-2: r, adapt-5 e (SPEC.md §7.11) */
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
        int32_t sctx = 0, sctx2 = 0, sctx3 = -1;
        if (adapt) {
          prepare(&mx, 256, K, pp, c * K, plane3, 2 * plane3, sh, 0, 0);
          /* network mean and standard deviation, in pixel units; the variance the
             temperature compares with: adapt-1 the network's, adapt-2 the contracted one */
          spread(&mx, t->adapt >= 2, t->rho, &m, &sd, &vt);
          features(t, ptype, half, step, y, x, c, m, xv, eprev, F);
          g = &t->groups[stage * 3 + c];
          for (int32_t i = 0; i < NF; i++) d += g->theta[i] * F[i];
          double lim = t->adapt >= 2 ? ADAPT_CLIP2 * sd + 1.0 : sd + 1.0;
          if (d > lim) d = lim;
          if (d < -lim) d = -lim;
          madd = (int32_t)floor_(d * 256.0 + 0.5);
          double act;
          if (t->adapt >= 5) {
            /* adapt-5 (SPEC.md §7.11): the adapted residuals' activity, and the previous channel's |e| */
            act = (fabs_(F[25]) + fabs_(F[26]) + fabs_(F[27]) + fabs_(F[28]) + 2.0 * fabs_(F[29])) / 6.0;
            if (c >= 1) act = act + ADAPT_ACT_PREV * fabs_(eprev[c - 1]);
          } else {
            act = (fabs_(F[3]) + fabs_(F[4]) + fabs_(F[5]) + fabs_(F[6]) + 2.0 * fabs_(F[7])) / 6.0;
          }
          int32_t sb = bucket(sd, ADAPT_SD_EDGES, NSB - 1);
          int32_t ab = bucket(act / (sd + 0.3), ADAPT_ACT_EDGES, NACT - 1);
          tc = &t->temps[((stage * 3 + c) * NSB + sb) * NACT + ab];
          lsadd = temp_offset(tc);
          if (t->adapt >= 4) {
            /* adapt-4's two contexts (SPEC.md §7.10) */
            const int32_t base = (stage * 3 + c) * NSB + sb;
            sctx = base * ND + bucket(d / (sd + 0.3), ADAPT_SSE_D_EDGES, ND - 1);
            sctx2 = NSSE1 + base * NE + bucket((F[25] + F[26]) / (sd + 0.3), ADAPT_SSE_E_EDGES, NE - 1);
            if (t->adapt >= 5 && c >= 1)
              sctx3 = NSSE2 + base * NE + bucket(eprev[c - 1] / (sd + 0.3), ADAPT_SSE_E_EDGES, NE - 1);
          }
        }
        if (adapt) {
          readjust(&mx, madd, lsadd);
          if (t->adapt >= 2) contract(&mx, t->rho - 1.0, 256.0 * m + madd);
          if (decode) hint(&mx, 256.0 * m + madd, vt, lsadd);
          if (t->adapt >= 4) {
            for (int32_t i = 0; i < 16; i++) mx.vc[i] = -1;
            mx.sse = sse_table(t, sctx);
            mx.sse2 = sse_table(t, sctx2);
            mx.sse3 = sctx3 >= 0 ? sse_table(t, sctx3) : 0;
          }
        } else
          prepare(&mx, 256, K, pp, c * K, plane3, 2 * plane3, sh, 0, 0);
        int32_t v;
        if (decode) {
          v = mix_decode(cd, &mx);
          rgb[src + c] = (uint8_t)v;
        } else {
          v = rgb[src + c];
          BUDGET(stage, c, mix_encode(cd, &mx, v));
        }
        xv[c] = v;
        t->known[c * plane + o] = (uint8_t)v;
        if (t->adapt >= 4 && adapt) {
          const double lo = share_q24(&mx, v), hi = share_q24(&mx, v + 1);
          sse_update(t, sctx, lo, hi);
          sse_update(t, sctx2, lo, hi);
          if (sctx3 >= 0) sse_update(t, sctx3, lo, hi);
        }
        if (adapt) {
          double yres = v - m, e = yres - d;
          eprev[c] = t->adapt >= 5 ? e : yres;
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
