// Hand-written single-thread helpers run by the host thread between parallel
// commands: block reductions in block order (the numeric contract), splats,
// and the distances of the last assign pass.
import {
  BLOCK,
  S_BCHANGED,
  S_BCOUNTS,
  S_BPOT,
  S_BSUMS,
  S_BWCSS,
  S_CENT,
  S_COUNT,
  S_COUNTS,
  S_DATA,
  S_DIMS,
  S_K,
  S_LABELS,
  S_NBLOCKS,
  S_POTOUT,
  S_SUMS,
  slotI,
  slotP,
} from "./layout";

/** First free byte after the module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

/** Rows per accumulation block compiled into the kernels. */
export function blockSize(): i32 {
  return BLOCK;
}

/**
 * Adds `n` f64 values at `src` into `dst` element by element (dst[q] += src[q]).
 * Lanes of f64x2 are independent element adds, so the order per element is kept.
 */
// @ts-ignore: decorator
@inline
function addInto(dst: usize, src: usize, n: i32): void {
  let q = 0;
  for (; q + 2 <= n; q += 2) {
    const o = <usize>q << 3;
    v128.store(dst + o, f64x2.add(v128.load(dst + o), v128.load(src + o)));
  }
  if (q < n) {
    const o = <usize>q << 3;
    store<f64>(dst + o, load<f64>(dst + o) + load<f64>(src + o));
  }
}

/**
 * Reduces the assign pass's block partials in block order:
 * sums (k × dims f64) and counts (k f64) into S_SUMS / S_COUNTS.
 * @returns the WCSS (sum of block WCSS in block order)
 */
export function reduceAssign(ctrl: usize): f64 {
  const nb = slotI(ctrl, S_NBLOCKS);
  const k = slotI(ctrl, S_K);
  const kd = k * slotI(ctrl, S_DIMS);
  const bsums = slotP(ctrl, S_BSUMS);
  const bcounts = slotP(ctrl, S_BCOUNTS);
  const bwcss = slotP(ctrl, S_BWCSS);
  const sums = slotP(ctrl, S_SUMS);
  const counts = slotP(ctrl, S_COUNTS);
  memory.fill(sums, 0, <usize>kd << 3);
  memory.fill(counts, 0, <usize>k << 3);
  let wcss: f64 = 0;
  for (let b = 0; b < nb; b++) {
    wcss += load<f64>(bwcss + (<usize>b << 3));
    addInto(sums, bsums + ((<usize>b * <usize>kd) << 3), kd);
    addInto(counts, bcounts + ((<usize>b * <usize>k) << 3), k);
  }
  return wcss;
}

/** Rows whose label changed in the last assign pass (sum over blocks). */
export function reduceChanged(ctrl: usize): i32 {
  const nb = slotI(ctrl, S_NBLOCKS);
  const p = slotP(ctrl, S_BCHANGED);
  let total = 0;
  for (let b = 0; b < nb; b++) total += load<i32>(p + (<usize>b << 2));
  return total;
}

/** Reduces candidatePotentials' block partials (nBlocks × count) in block order into S_POTOUT. */
export function reducePotentials(ctrl: usize): void {
  const nb = slotI(ctrl, S_NBLOCKS);
  const count = slotI(ctrl, S_COUNT);
  const bpot = slotP(ctrl, S_BPOT);
  const out = slotP(ctrl, S_POTOUT);
  memory.fill(out, 0, <usize>count << 3);
  for (let b = 0; b < nb; b++) addInto(out, bpot + ((<usize>b * <usize>count) << 3), count);
}

/** Reduces updateClosest's block potentials (nBlocks f64) in block order. */
export function reduceUpdate(ctrl: usize): f64 {
  const nb = slotI(ctrl, S_NBLOCKS);
  const bpot = slotP(ctrl, S_BPOT);
  let pot: f64 = 0;
  for (let b = 0; b < nb; b++) pot += load<f64>(bpot + (<usize>b << 3));
  return pot;
}

/** Writes each of `n` f32 values at `src` into four lanes at `dst` (n v128). */
export function buildSplats(dst: usize, src: usize, n: i32): void {
  for (let q = 0; q < n; q++) {
    v128.store(dst + (<usize>q << 4), v128.load32_splat(src + (<usize>q << 2)));
  }
}

/**
 * Squared distance (contract order, scalar f32: the bits of the SIMD lanes) of
 * row `i` to its labelled centroid. Shared by distancesRange and the weighted
 * WCSS of generate-kernels.mjs.
 */
// @ts-ignore: decorator
@inline
export function labelledDistance(data: usize, labels: usize, cent: usize, d: i32, i: i32): f32 {
  const rowBytes = <usize>d << 2;
  const x = data + <usize>i * rowBytes;
  const c = cent + <usize>load<i32>(labels + (<usize>i << 2)) * rowBytes;
  let acc: f32 = 0;
  for (let j = 0; j < d; j++) {
    const o = <usize>j << 2;
    const df: f32 = load<f32>(x + o) - load<f32>(c + o);
    acc = acc + df * df;
  }
  return acc;
}

/**
 * Squared distance (contract order) of rows [row0, row1) to their labelled
 * centroid of the last assign pass, written as f32 to `out` from out[0].
 */
export function distancesRange(ctrl: usize, row0: i32, row1: i32, out: usize): void {
  const d = slotI(ctrl, S_DIMS);
  const data = slotP(ctrl, S_DATA);
  const labels = slotP(ctrl, S_LABELS);
  const cent = slotP(ctrl, S_CENT);
  for (let i = row0; i < row1; i++) store<f32>(out + (<usize>(i - row0) << 2), labelledDistance(data, labels, cent, d, i));
}
