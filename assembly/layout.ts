// Control block of a wasm job: 64 four-byte slots at `ctrl` in the shared
// memory. The host (src/backends/wasm/wasm-layout.ts) writes the command and
// its parameters; every thread reads them. Keep both files in step.

/** Rows per accumulation block: the numeric contract's ROW_BLOCK_SIZE. */
export const BLOCK: i32 = 4096;
export const BLOCK_SHIFT: i32 = 12;

// i32 / pointer slots
export const S_GEN: i32 = 0; // generation counter (host bumps it to wake workers)
export const S_PENDING: i32 = 1; // workers still running the current command
export const S_NEXT: i32 = 2; // next work item (block or row) to claim
export const S_ERROR: i32 = 3; // set by a worker whose kernel trapped
export const S_CMD: i32 = 4;
export const S_ROWS: i32 = 5;
export const S_DIMS: i32 = 6;
export const S_K: i32 = 7;
export const S_COUNT: i32 = 8; // candidates of candidatePotentials
export const S_FLAGS: i32 = 9;
export const S_NBLOCKS: i32 = 10;
export const S_DATA: i32 = 11; // rows × dims f32, row-major, zero padded
export const S_LABELS: i32 = 12; // rows i32 (+ padding)
export const S_LOWER: i32 = 13; // rows f32 Hamerly lower bounds (+ padding)
export const S_CLOSEST: i32 = 14; // rows f32 k-means++ closest distances (+ padding)
export const S_CENT: i32 = 15; // k × dims f32 centroids (+ padding)
export const S_SPLAT: i32 = 16; // k × dims v128: each centroid coordinate in 4 lanes
export const S_CAND: i32 = 17; // count × dims v128: splatted candidates / centre
export const S_BPASSED: i32 = 18; // nBlocks i32: 4-row groups that passed the bound test
export const S_WEIGHTS: i32 = 19; // rows f64 sample weights (+ padding), read when FLAG_WEIGHTED is set
export const S_BSUMS: i32 = 20; // nBlocks × k × dims f64 block partial sums (cached)
export const S_BCOUNTS: i32 = 21; // nBlocks × k f64
export const S_BWCSS: i32 = 22; // nBlocks f64
export const S_BCHANGED: i32 = 23; // nBlocks i32
export const S_BVALID: i32 = 24; // nBlocks i32: block sums valid for the current labels and k
export const S_BPOT: i32 = 25; // nBlocks × count f64
export const S_OUT: i32 = 26; // staging output (pairwise f64, distances f32)
export const S_ROW0: i32 = 27;
export const S_ROW1: i32 = 28;
export const S_SCRATCH: i32 = 29; // per-thread scratch base
export const S_SCRATCH_STRIDE: i32 = 30;
export const S_SUMS: i32 = 31; // k × dims f64 reduced sums
export const S_COUNTS: i32 = 32; // k f64 reduced counts
export const S_POTOUT: i32 = 33; // count f64 reduced potentials
// matrix-free linkage (assembly/linkage.ts): a compact column-major table of live clusters / open rows
export const S_LNK_M: i32 = 34; // positions in the table
export const S_LNK_CAP: i32 = 35; // column stride (positions, a multiple of 4)
export const S_LNK_COLS: i32 = 36; // dims columns: f64 centroids (ward) or f32 rows (single)
export const S_LNK_W: i32 = 37; // cap f64 sizes (ward) or f32 best distances (single); NaN = dead
export const S_LNK_Q: i32 = 38; // the query: dims f64 + its size (ward), dims f32 (single)
export const S_LNK_RES: i32 = 39; // per block: f64 smallest value, i32 its position (16 bytes)
// fused k-means++ (FLAG_KEEP): candidatePotentials also stores each candidate's min(closest, d²) per row
export const S_KEEP: i32 = 56; // count × keepStride bytes: candidate t's rows at S_KEEP + t × keepStride
export const S_KEEP_STRIDE: i32 = 57; // bytes per candidate (>= (rows + 8) × 4, a multiple of 16)

// f32 slots: conservative factors of the bound test (see wasm-layout.ts) and the drift
export const F_KSTORE: i32 = 40;
export const F_KTEST: i32 = 41;
export const F_KDOWN: i32 = 43;
export const F_TINY: i32 = 45;
export const F_DRIFT: i32 = 47; // sum of the largest centroid shift of every pass since the bounds were reset

// commands
export const CMD_ASSIGN: i32 = 1;
export const CMD_POTENTIALS: i32 = 2;
export const CMD_UPDATE: i32 = 3;
export const CMD_PAIRWISE: i32 = 4;
export const CMD_WARD_SCAN: i32 = 5;
export const CMD_PRIM_SCAN: i32 = 6;

// flags
export const FLAG_BOUNDS: i32 = 1; // maintain Hamerly lower bounds
export const FLAG_BOUNDS_VALID: i32 = 2; // lower bounds hold for the previous centroids: test them
export const FLAG_RESET: i32 = 4; // updateClosest: overwrite instead of min
export const FLAG_KEEP: i32 = 8; // candidatePotentials: keep every candidate's min per row at S_KEEP
export const FLAG_WEIGHTED: i32 = 16; // sums, counts, WCSS and potentials weighted by S_WEIGHTS

// @ts-ignore: decorator
@inline
export function slotI(ctrl: usize, s: i32): i32 {
  return load<i32>(ctrl + (<usize>s << 2));
}

// @ts-ignore: decorator
@inline
export function slotP(ctrl: usize, s: i32): usize {
  return <usize>load<u32>(ctrl + (<usize>s << 2));
}

// @ts-ignore: decorator
@inline
export function slotF(ctrl: usize, s: i32): f32 {
  return load<f32>(ctrl + (<usize>s << 2));
}

/**
 * Loads one word of every 64-byte line in [p0, p1) and returns their sum.
 * wasm has no prefetch instruction: the kernels call this on a block's rows
 * before computing on them. The loads are independent, so the core keeps many
 * cache misses in flight and pulls the block into L2 at full bandwidth; the
 * compute loop, which holds few misses in its window, then hits the cache.
 * (Measured: 1M × 4, k = 10 assign pass 10.5 ms → 5.9 ms on one thread.)
 */
// @ts-ignore: decorator
@inline
export function touchLines(p0: usize, p1: usize): i32 {
  let t = 0;
  for (let p = p0; p < p1; p += 64) t += load<i32>(p);
  return t;
}
