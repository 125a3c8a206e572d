/*
 * l3c-core, part 2 of 7: The range coder (specification: SPEC.md §3; reference: shared/range-coder.ts): encoder, decoder, table symbols.
 * Compiled as one translation unit through l3c-core.c (included in order, never alone).
 */

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
