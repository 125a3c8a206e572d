/*
 * l3c-core, part 7 of 7: adapt-3's z2 stage (specification: SPEC.md §7.9; reference: shared/adaptive-stage.ts).
 * Compiled as one translation unit through l3c-core.c (included in order, never alone).
 */

/*
 * adapt-3's z2 stage (specification: SPEC.md §7.9): the z2 symbols of one
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
      if (y >= 1) solve(ZF, ADAPT_LAMBDA, A, b, th);
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
