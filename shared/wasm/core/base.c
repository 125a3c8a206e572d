/*
 * l3c-core, part 1 of 7: The includes, the export macro, the bump allocator (no libc) and the error codes.
 * Compiled as one translation unit through l3c-core.c (included in order, never alone).
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

/* Research builds only (training/tools/bits_budget.py compiles with -DL3C_BUDGET): the
   ideal code length of every pixel symbol the encoder codes, summed per stage and channel. */
#ifdef L3C_BUDGET
double l3c_budget[16][3];
#define BUDGET(stage, c, size) (l3c_budget[stage][c] += 16.0 - __builtin_log2((double)(size)))
#else
#define BUDGET(stage, c, size) ((void)(size))
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
