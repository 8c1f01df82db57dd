// Hand-written parallel kernels of exact agglomerative clustering without a
// distance matrix (src/drivers/agglomerative/matrix-free-linkage.ts). The
// host keeps a compact table of the live clusters (Ward) or open rows (single
// linkage) in increasing slot order, column-major (coordinate j of position p
// at cols[j·cap + p]), so that SIMD lanes run over positions. Dead entries and
// the padding after the last position carry NaN in `w` and are never chosen
// (every comparison with NaN is false).
//
// Each block of BLOCK positions writes its minimum (value f64, position i32,
// lowest position on ties) to res[b]; the host reduces the blocks in order
// with a strict `<`, so the first position with the smallest value wins, as
// in scipy's scans, for any thread count.
import { BLOCK, BLOCK_SHIFT, S_DIMS, S_LNK_CAP, S_LNK_COLS, S_LNK_M, S_LNK_Q, S_LNK_RES, S_LNK_W, slotI, slotP } from "./layout";

/** Number of blocks of the current table. */
// @ts-ignore: decorator
@inline
export function linkageBlocks(ctrl: usize): i32 {
  return (slotI(ctrl, S_LNK_M) + BLOCK - 1) >> BLOCK_SHIFT;
}

/**
 * Ward: for positions p of block b, cost(q, p) = ((nq · n_p) / (nq + n_p)) · sq with
 * sq = Σ_j (c_p,j − q_j)² in float64 (j ascending, no FMA), or, when both are
 * single rows, the contract's float32 squared distance (promoted), so that
 * row-to-row Ward distances are exactly the matrix's. `w` holds the sizes
 * (f64), the query is d f64 coordinates followed by nq. The query's own
 * position carries NaN.
 */
export function wardBlock(ctrl: usize, b: i32): void {
  const d = slotI(ctrl, S_DIMS);
  const m = slotI(ctrl, S_LNK_M);
  const cap = <usize>slotI(ctrl, S_LNK_CAP);
  const cols = slotP(ctrl, S_LNK_COLS);
  const w = slotP(ctrl, S_LNK_W);
  const q = slotP(ctrl, S_LNK_Q);
  const start = b << BLOCK_SHIFT;
  const end = min(m, start + BLOCK);
  const nq = f64x2.splat(load<f64>(q + (<usize>d << 3)));
  const colBytes = cap << 3;
  let bestV = f64x2.splat(Infinity);
  let bestP = i64x2(-1, -1);
  let pos = i64x2(<i64>start, <i64>start + 1);
  const two = i64x2.splat(2);
  // A singleton query: singleton candidates take the contract's float32
  // distance (their centroid is their float32 row, so demoting is exact).
  const single = load<f64>(q + (<usize>d << 3)) == 1.0;
  const oneV = f64x2.splat(1.0);
  for (let p = start; p < end; p += 2) {
    const o = <usize>p << 3;
    const np = v128.load(w + o);
    let c = cols + o;
    let df = f64x2.sub(v128.load(c), f64x2.splat(load<f64>(q)));
    let acc = f64x2.mul(df, df);
    for (let j = 1; j < d; j++) {
      c += colBytes;
      df = f64x2.sub(v128.load(c), f64x2.splat(load<f64>(q + (<usize>j << 3))));
      acc = f64x2.add(acc, f64x2.mul(df, df));
    }
    if (single) {
      c = cols + o;
      let e = f32x4.sub(f32x4.demote_f64x2_zero(v128.load(c)), f32x4.demote_f64x2_zero(f64x2.splat(load<f64>(q))));
      let a32 = f32x4.mul(e, e);
      for (let j = 1; j < d; j++) {
        c += colBytes;
        e = f32x4.sub(f32x4.demote_f64x2_zero(v128.load(c)), f32x4.demote_f64x2_zero(f64x2.splat(load<f64>(q + (<usize>j << 3)))));
        a32 = f32x4.add(a32, f32x4.mul(e, e));
      }
      acc = v128.bitselect(f64x2.promote_low_f32x4(a32), acc, f64x2.eq(np, oneV));
    }
    const cost = f64x2.mul(f64x2.div(f64x2.mul(nq, np), f64x2.add(nq, np)), acc);
    const lt = f64x2.lt(cost, bestV);
    bestV = v128.bitselect(cost, bestV, lt);
    bestP = v128.bitselect(pos, bestP, lt);
    pos = i64x2.add(pos, two);
  }
  const v0 = f64x2.extract_lane(bestV, 0);
  const v1 = f64x2.extract_lane(bestV, 1);
  const p0 = i64x2.extract_lane(bestP, 0);
  const p1 = i64x2.extract_lane(bestP, 1);
  const lane1 = v1 < v0 || (v1 == v0 && p1 >= 0 && (p0 < 0 || p1 < p0));
  const r = slotP(ctrl, S_LNK_RES) + (<usize>b << 4);
  store<f64>(r, lane1 ? v1 : v0);
  store<i32>(r, <i32>(lane1 ? p1 : p0), 8);
}

/**
 * Prim (single linkage): for positions p of block b, the contract's float32
 * squared distance to the query row (j ascending), then
 * best_p = min(best_p, dist) (`w` holds best, f32; NaN marks closed rows and
 * stays NaN), and the block's smallest best.
 */
export function primBlock(ctrl: usize, b: i32): void {
  const d = slotI(ctrl, S_DIMS);
  const m = slotI(ctrl, S_LNK_M);
  const cap = <usize>slotI(ctrl, S_LNK_CAP);
  const cols = slotP(ctrl, S_LNK_COLS);
  const w = slotP(ctrl, S_LNK_W);
  const q = slotP(ctrl, S_LNK_Q);
  const start = b << BLOCK_SHIFT;
  const end = min(m, start + BLOCK);
  const colBytes = cap << 2;
  let bestV = f32x4.splat(Infinity);
  let bestP = i32x4.splat(-1);
  let pos = i32x4(start, start + 1, start + 2, start + 3);
  const four = i32x4.splat(4);
  for (let p = start; p < end; p += 4) {
    const o = <usize>p << 2;
    let c = cols + o;
    let df = f32x4.sub(v128.load(c), v128.load32_splat(q));
    let acc = f32x4.mul(df, df);
    for (let j = 1; j < d; j++) {
      c += colBytes;
      df = f32x4.sub(v128.load(c), v128.load32_splat(q + (<usize>j << 2)));
      acc = f32x4.add(acc, f32x4.mul(df, df));
    }
    const old = v128.load(w + o);
    const nb = f32x4.pmin(old, acc); // acc < old ? acc : old (NaN stays)
    v128.store(w + o, nb);
    const lt = f32x4.lt(nb, bestV);
    bestV = v128.bitselect(nb, bestV, lt);
    bestP = v128.bitselect(pos, bestP, lt);
    pos = i32x4.add(pos, four);
  }
  let v = f32x4.extract_lane(bestV, 0);
  let bp = i32x4.extract_lane(bestP, 0);
  for (let l = 1; l < 4; l++) {
    const vl = l == 1 ? f32x4.extract_lane(bestV, 1) : l == 2 ? f32x4.extract_lane(bestV, 2) : f32x4.extract_lane(bestV, 3);
    const pl = l == 1 ? i32x4.extract_lane(bestP, 1) : l == 2 ? i32x4.extract_lane(bestP, 2) : i32x4.extract_lane(bestP, 3);
    if (pl < 0) continue;
    if (bp < 0 || vl < v || (vl == v && pl < bp)) {
      v = vl;
      bp = pl;
    }
  }
  const r = slotP(ctrl, S_LNK_RES) + (<usize>b << 4);
  store<f64>(r, <f64>v);
  store<i32>(r, bp, 8);
}
