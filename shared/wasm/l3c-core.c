/*
 * l3c-core: the entropy path of the L3C tile model in C, compiled to WebAssembly
 * (wasm32, scalar and SIMD128 builds) for Node, workerd and browsers, and natively for
 * tools. The specification is SPEC.md; this file computes exactly what the TypeScript
 * reference computes, operation by operation:
 *   - range-coder.ts         (RangeEncoder / RangeDecoder; SPEC.md §3)
 *   - logistic-mixture.ts    (MixtureCdf: the integer CDF, its search; SPEC.md §6)
 *   - l3c-model.ts           (the order of z and pixel symbols of a coded tile; SPEC.md §4)
 *   - adaptive-stage.ts      (the adaptive stages adapt-1..3; SPEC.md §7)
 * Floating point appears only where the spec allows it: IEEE-754 doubles holding
 * integers below 2^53 (exact) and, in the adaptive stages, + - * / and sqrt in the
 * order the spec gives (SPEC.md §1.2; no FMA contraction: build with -ffp-contract=off).
 *
 * Memory: the host allocates with l3c_alloc (a bump allocator) and releases with
 * l3c_release(mark). No libc.
 *
 * The code is split by concern into the files of core/, included below in order as one translation
 * unit (a unity build): the compiler sees exactly one file, so it inlines across parts
 * and the wasm is the same as a single source would give.
 */

#include "core/base.c"
#include "core/range-coder.c"
#include "core/mixture.c"
#include "core/tile.c"
#include "core/adaptive.c"
#include "core/pixel-stage.c"
#include "core/z2-stage.c"
