// Generates the AssemblyScript source of the parallel kernels: one set of
// functions per feature count d = 1..MAX_UNROLLED with the d coordinates of a
// 4-row tile held in v128 locals (fully unrolled), plus a generic set (d at
// run time, tile in per-thread scratch) for wider data.
//
// SIMD layout: 4 rows across the 4 lanes of an f32x4. Row-major rows are
// loaded as vectors and transposed in registers (4x4 shuffles), so lane r of
// tile vector t_j holds x[i + r][j]. Each lane then runs exactly the scalar
// float32 sequence of the numeric contract:
//   acc = (x0 - c0)^2; acc = acc + (x1 - c1)^2; ...   (no FMA, fixed order)
// and the nearest centroid is tracked with a strict `<`, so the first minimum
// wins. Float64 accumulations (WCSS, sums, potentials) are done lane by lane
// in row order inside each 4096-row block, as the contract requires.

/** Feature counts that get fully unrolled kernels. */
export const MAX_UNROLLED = 8;

/** Feature counts whose plain assign processes two 4-row tiles per step. */
export const PAIR_MAX_D = 4;

const ind = (s, n) =>
  s
    .split('\n')
    .map((l) => (l.length ? ' '.repeat(n) + l : l))
    .join('\n');

/** 4x4 transpose of row vectors a,b,c,e into out[0..3] (lane r = row r). */
function transpose(a, b, c, e, out, tmp) {
  return [
    `const ${tmp}0 = v128.shuffle<f32>(${a}, ${b}, 0, 4, 1, 5);`,
    `const ${tmp}1 = v128.shuffle<f32>(${a}, ${b}, 2, 6, 3, 7);`,
    `const ${tmp}2 = v128.shuffle<f32>(${c}, ${e}, 0, 4, 1, 5);`,
    `const ${tmp}3 = v128.shuffle<f32>(${c}, ${e}, 2, 6, 3, 7);`,
    out[0] ? `const ${out[0]} = v128.shuffle<f32>(${tmp}0, ${tmp}2, 0, 1, 4, 5);` : '',
    out[1] ? `const ${out[1]} = v128.shuffle<f32>(${tmp}0, ${tmp}2, 2, 3, 6, 7);` : '',
    out[2] ? `const ${out[2]} = v128.shuffle<f32>(${tmp}1, ${tmp}3, 0, 1, 4, 5);` : '',
    out[3] ? `const ${out[3]} = v128.shuffle<f32>(${tmp}1, ${tmp}3, 2, 3, 6, 7);` : '',
  ]
    .filter(Boolean)
    .join('\n');
}

/**
 * Loads the 4 rows at byte address `base` as vectors (unrolled kernels):
 * D = 1: t0 (already the tile); D = 2: xa, xb; D >= 3: x{r}_{q}.
 */
function loadRows(D, base, p = '') {
  if (D === 0) return '';
  if (D === 1) return `const ${p}t0 = v128.load(${base});`;
  if (D === 2) return `const ${p}xa = v128.load(${base});\nconst ${p}xb = v128.load(${base}, 16);`;
  const lines = [];
  for (let q = 0; q * 4 < D; q++) {
    for (let r = 0; r < 4; r++) lines.push(`const ${p}x${r}_${q} = v128.load(${base}, ${r * D * 4 + 16 * q});`);
  }
  return lines.join('\n');
}

/**
 * Transposes the loaded rows into the tile: lane r of t_j = x[i + r][j].
 * Unrolled: declares t0..t{D-1}. Generic: writes d v128 into `tile` scratch.
 */
function transposeTile(D, base, p = '') {
  if (D === 0) {
    return `for (let j = 0; j < d; j++) {
  const p = ${base} + (<usize>j << 2);
  let v = v128.load32_zero(p);
  v = v128.load32_lane(p + rowBytes, v, 1);
  v = v128.load32_lane(p + (rowBytes << 1), v, 2);
  v = v128.load32_lane(p + rowBytes * 3, v, 3);
  v128.store(tile + (<usize>j << 4), v);
}`;
  }
  if (D === 1) return '';
  if (D === 2) return `const ${p}t0 = v128.shuffle<f32>(${p}xa, ${p}xb, 0, 2, 4, 6);\nconst ${p}t1 = v128.shuffle<f32>(${p}xa, ${p}xb, 1, 3, 5, 7);`;
  const lines = [];
  for (let q = 0; q * 4 < D; q++) {
    const out = [0, 1, 2, 3].map((jj) => (4 * q + jj < D ? `${p}t${4 * q + jj}` : null));
    lines.push(transpose(`${p}x0_${q}`, `${p}x1_${q}`, `${p}x2_${q}`, `${p}x3_${q}`, out, `${p}u${q}_`));
  }
  return lines.join('\n');
}

/** Loads the 4-row tile at `base` (rows, then transposition). */
function loadTile(D, base, p = '') {
  return [loadRows(D, base, p), transposeTile(D, base, p)].filter(Boolean).join('\n');
}

/** Declares `acc`: the contract's squared distance of the tile to the splatted point at `sp`. */
function distance(D, sp, acc, p = '') {
  if (D === 0) {
    return `let ${acc}d = f32x4.sub(v128.load(tile), v128.load(${sp}));
let ${acc} = f32x4.mul(${acc}d, ${acc}d);
for (let j = 1; j < d; j++) {
  const o = <usize>j << 4;
  const df = f32x4.sub(v128.load(tile + o), v128.load(${sp} + o));
  ${acc} = f32x4.add(${acc}, f32x4.mul(df, df));
}`;
  }
  const lines = [`const ${acc}d0 = f32x4.sub(${p}t0, v128.load(${sp}));`, `let ${acc} = f32x4.mul(${acc}d0, ${acc}d0);`];
  for (let j = 1; j < D; j++) {
    lines.push(`const ${acc}d${j} = f32x4.sub(${p}t${j}, v128.load(${sp}, ${16 * j}));`);
    lines.push(`${acc} = f32x4.add(${acc}, f32x4.mul(${acc}d${j}, ${acc}d${j}));`);
  }
  return lines.join('\n');
}

/**
 * Declares `own`: per lane r, the squared distance of row i+r to its own
 * centroid cent[lab[r]] (row-major f32), in the contract's order.
 */
function ownDistance(D) {
  const ptrs = [0, 1, 2, 3]
    .map((r) => `const c${r} = cent + <usize>i32x4.extract_lane(lab, ${r}) * ${D === 0 ? 'rowBytes' : D * 4};`)
    .join('\n');
  if (D === 0) {
    return `${ptrs}
let own = f32x4.splat(0);
for (let j = 0; j < d; j++) {
  const o = <usize>j << 2;
  let g = v128.load32_zero(c0 + o);
  g = v128.load32_lane(c1 + o, g, 1);
  g = v128.load32_lane(c2 + o, g, 2);
  g = v128.load32_lane(c3 + o, g, 3);
  const df = f32x4.sub(v128.load(tile + (<usize>j << 4)), g);
  own = j == 0 ? f32x4.mul(df, df) : f32x4.add(own, f32x4.mul(df, df));
}`;
  }
  if (D === 1) {
    return `${ptrs}
let g = v128.load32_zero(c0);
g = v128.load32_lane(c1, g, 1);
g = v128.load32_lane(c2, g, 2);
g = v128.load32_lane(c3, g, 3);
const gd = f32x4.sub(t0, g);
const own = f32x4.mul(gd, gd);`;
  }
  if (D === 2) {
    return `${ptrs}
const ga = v128.load64_lane(c1, v128.load64_zero(c0), 1);
const gb = v128.load64_lane(c3, v128.load64_zero(c2), 1);
const da = f32x4.sub(xa, ga);
const db = f32x4.sub(xb, gb);
const sa = f32x4.mul(da, da);
const sb = f32x4.mul(db, db);
const own = f32x4.add(v128.shuffle<f32>(sa, sb, 0, 2, 4, 6), v128.shuffle<f32>(sa, sb, 1, 3, 5, 7));`;
  }
  const lines = [ptrs];
  for (let q = 0; q * 4 < D; q++) {
    for (let r = 0; r < 4; r++) {
      lines.push(`const e${r}_${q} = f32x4.sub(x${r}_${q}, v128.load(c${r}, ${16 * q}));`);
      lines.push(`const s${r}_${q} = f32x4.mul(e${r}_${q}, e${r}_${q});`);
    }
    const out = [0, 1, 2, 3].map((jj) => (4 * q + jj < D ? `q${4 * q + jj}` : null));
    lines.push(transpose(`s0_${q}`, `s1_${q}`, `s2_${q}`, `s3_${q}`, out, `w${q}_`));
  }
  lines.push(`let own = q0;`);
  for (let j = 1; j < D; j++) lines.push(`own = f32x4.add(own, q${j});`);
  return lines.join('\n');
}

/** Adds the valid lanes of f32x4 `v` to the f64 `acc`, lane 0 first (row order). */
function addLanes(acc, v, nv) {
  return `${acc} += <f64>f32x4.extract_lane(${v}, 0);
if (${nv} > 1) ${acc} += <f64>f32x4.extract_lane(${v}, 1);
if (${nv} > 2) ${acc} += <f64>f32x4.extract_lane(${v}, 2);
if (${nv} > 3) ${acc} += <f64>f32x4.extract_lane(${v}, 3);`;
}

/** {@link addLanes} with each lane times its row's weight: `acc += w[i + r] · v_r`, lane 0 first. */
function addWeightedLanes(acc, v, nv, i) {
  const w = (r) => `load<f64>(wts + (<usize>(${i}) << 3), ${8 * r})`;
  return `${acc} += ${w(0)} * <f64>f32x4.extract_lane(${v}, 0);
if (${nv} > 1) ${acc} += ${w(1)} * <f64>f32x4.extract_lane(${v}, 1);
if (${nv} > 2) ${acc} += ${w(2)} * <f64>f32x4.extract_lane(${v}, 2);
if (${nv} > 3) ${acc} += ${w(3)} * <f64>f32x4.extract_lane(${v}, 3);`;
}

/**
 * Nearest centroid of each lane over all k splatted centroids. `best` keeps the
 * strict minimum (pmin(best, acc) = acc < best ? acc : best), `idx` the index
 * of the first minimum: when acc < best, c is larger than any earlier index,
 * so idx = max(idx, lt & c). With `withSecond`, `second` keeps the smallest
 * distance to any other centroid: min(second, max(best_old, acc)).
 */
function fullLoop(D, withSecond) {
  return `${distance(D, 'splat', 'a0')}
best = a0;
idx = i32x4.splat(0);
${withSecond ? 'second = infV;' : ''}
let sp = splat + cstride;
let cv = i32x4.splat(1);
for (let c = 1; c < k; c++) {
${ind(distance(D, 'sp', 'acc'), 2)}
  const lt = f32x4.lt(acc, best);
${withSecond ? '  second = f32x4.pmin(second, f32x4.pmax(best, acc));' : ''}
  best = f32x4.pmin(best, acc);
  idx = i32x4.max_s(idx, v128.and(lt, cv));
  cv = i32x4.add(cv, oneV);
  sp += cstride;
}`;
}

function header(D) {
  return D === 0
    ? `const d = slotI(ctrl, S_DIMS);
const rowBytes = <usize>d << 2;`
    : `const rowBytes: usize = ${D * 4};`;
}

/** Pre-touches the block's rows and per-row arrays (see touchLines); keeps the sum alive in scratch. */
function touchBlock(arrays) {
  const parts = [`touchLines(data + <usize>start * rowBytes, data + <usize>end * rowBytes)`];
  for (const a of arrays) parts.push(`touchLines(${a} + (<usize>start << 2), ${a} + (<usize>end << 2))`);
  return `store<i32>(tile + slotP(ctrl, S_SCRATCH_STRIDE) - 16, ${parts.join(' + ')});`;
}

function dimsExpr(D) {
  return D === 0 ? 'd' : String(D);
}

/**
 * One assign block in one of three modes (separate functions keep few values
 * live in the hot loop): `plain` (no bounds), `second` (full pass that also
 * stores Hamerly lower bounds), `test` (bound test, full pass where it fails).
 *
 * Bounds are stored in drift coordinates: lower[i] = L + D_s, where L lower-
 * bounds the distance from row i to every centroid other than its own when it
 * was computed, and D_s was the job's drift then (the drift D grows by the
 * largest centroid shift of each pass, rounded up, as an exact float32). At a
 * later pass L - (D_t - D_s) = lower[i] - D_t still bounds it (triangle
 * inequality), so a passing group writes nothing.
 */
function assignBlock(D, mode) {
  const name = `assign_${mode}${D}`;
  const bounds = mode !== 'plain';
  const consts = [
    `const zeroV = f32x4.splat(0);`,
    `const oneV = i32x4.splat(1);`,
    bounds ? `const infV = f32x4.splat(Infinity);
const kStore = f32x4.splat(slotF(ctrl, F_KSTORE));
const kDown = f32x4.splat(slotF(ctrl, F_KDOWN));
const driftV = f32x4.splat(slotF(ctrl, F_DRIFT));
const lower = slotP(ctrl, S_LOWER);` : '',
    mode === 'test' ? `const cent = slotP(ctrl, S_CENT);
const kTest = f32x4.splat(slotF(ctrl, F_KTEST));
const tinyV = f32x4.splat(slotF(ctrl, F_TINY));
let passed = 0;` : '',
  ].filter(Boolean).join('\n');
  const storeLower = `v128.store(lower + ip4, f32x4.mul(f32x4.add(f32x4.mul(f32x4.sqrt(f32x4.mul(second, kStore)), kDown), driftV), kDown));`;
  const full = bounds ? `${fullLoop(D, true)}\n${storeLower}` : fullLoop(D, false);
  const tileFirst = mode !== 'test' || D === 0;
  const body = mode === 'test'
    ? `${ownDistance(D)}
// lower bound on the distance to every other centroid: stored bound minus the drift since
const lb = f32x4.pmax(f32x4.mul(f32x4.sub(v128.load(lower + ip4), driftV), kDown), zeroV);
const thr = f32x4.mul(f32x4.mul(lb, lb), kTest);
const ok = v128.and(f32x4.lt(own, thr), f32x4.gt(thr, tinyV));
if (i32x4.all_true(ok)) {
  best = own;
  passed++;
} else {
${ind(tileFirst ? '' : transposeTile(D, 'base'), 2)}
${ind(full, 2)}
}`
    : full;
  return `
function ${name}(ctrl: usize, b: i32, tile: usize): void {
${ind(header(D), 2)}
  const n = slotI(ctrl, S_ROWS);
  const k = slotI(ctrl, S_K);
  const data = slotP(ctrl, S_DATA);
  const labels = slotP(ctrl, S_LABELS);
  const splat = slotP(ctrl, S_SPLAT);
${ind(consts, 2)}
  const cstride: usize = <usize>${dimsExpr(D)} << 4;
  const start = b << BLOCK_SHIFT;
  const end = min(n, start + BLOCK);
  ${touchBlock(bounds ? ['labels', 'lower'] : ['labels'])}
  let wcss: f64 = 0;
  let changed = 0;
  for (let i = start; i < end; i += 4) {
    const ip4 = <usize>i << 2;
    const base = data + <usize>i * rowBytes;
${ind(tileFirst ? loadTile(D, 'base') : loadRows(D, 'base'), 4)}
    const lab = v128.load(labels + ip4);
    let best = zeroV;
    let idx = lab;
    ${bounds ? 'let second = zeroV;' : ''}
${ind(body, 4)}
    const nv = end - i;
    if (nv >= 4) {
      const diff = i32x4.bitmask(i32x4.ne(idx, lab));
      if (diff != 0) {
        changed += popcnt<i32>(diff);
        v128.store(labels + ip4, idx);
      }
    } else {
      if (i32x4.extract_lane(idx, 0) != i32x4.extract_lane(lab, 0)) changed++;
      store<i32>(labels + ip4, i32x4.extract_lane(idx, 0));
      if (nv > 1) {
        if (i32x4.extract_lane(idx, 1) != i32x4.extract_lane(lab, 1)) changed++;
        store<i32>(labels + ip4, i32x4.extract_lane(idx, 1), 4);
      }
      if (nv > 2) {
        if (i32x4.extract_lane(idx, 2) != i32x4.extract_lane(lab, 2)) changed++;
        store<i32>(labels + ip4, i32x4.extract_lane(idx, 2), 8);
      }
    }
${ind(addLanes('wcss', 'best', 'nv'), 4)}
  }
  ${mode === 'test' ? 'store<i32>(slotP(ctrl, S_BPASSED) + (<usize>b << 2), passed);' : ''}
  finishBlock${D}(ctrl, b, start, end, wcss, changed);
}`;
}

/** Label bookkeeping and WCSS for the 4 rows at `i` (lanes beyond `end` ignored). */
function bookkeeping(idx, best, lab, i) {
  return `{
  const ip4 = <usize>(${i}) << 2;
  const nv = end - (${i});
  if (nv >= 4) {
    const diff = i32x4.bitmask(i32x4.ne(${idx}, ${lab}));
    if (diff != 0) {
      changed += popcnt<i32>(diff);
      v128.store(labels + ip4, ${idx});
    }
  } else if (nv > 0) {
    if (i32x4.extract_lane(${idx}, 0) != i32x4.extract_lane(${lab}, 0)) changed++;
    store<i32>(labels + ip4, i32x4.extract_lane(${idx}, 0));
    if (nv > 1) {
      if (i32x4.extract_lane(${idx}, 1) != i32x4.extract_lane(${lab}, 1)) changed++;
      store<i32>(labels + ip4, i32x4.extract_lane(${idx}, 1), 4);
    }
    if (nv > 2) {
      if (i32x4.extract_lane(${idx}, 2) != i32x4.extract_lane(${lab}, 2)) changed++;
      store<i32>(labels + ip4, i32x4.extract_lane(${idx}, 2), 8);
    }
  }
  if (nv > 0) {
${ind(addLanes('wcss', best, 'nv'), 4)}
  }
}`;
}

/**
 * The plain assign with two 4-row tiles per step (8 rows): each centroid's
 * splats are loaded once for both tiles and the loop overhead is halved.
 * Used for D <= 4, where both tiles and their minima fit in registers.
 */
function assignPlainPair(D) {
  const step = (pre, sp) => `${distance(D, sp, `${pre}acc`, pre)}
const ${pre}lt = f32x4.lt(${pre}acc, ${pre}best);
${pre}best = f32x4.pmin(${pre}best, ${pre}acc);
${pre}idx = i32x4.max_s(${pre}idx, v128.and(${pre}lt, cv));`;
  return `
function assign_plain${D}(ctrl: usize, b: i32, tile: usize): void {
${ind(header(D), 2)}
  const n = slotI(ctrl, S_ROWS);
  const k = slotI(ctrl, S_K);
  const data = slotP(ctrl, S_DATA);
  const labels = slotP(ctrl, S_LABELS);
  const splat = slotP(ctrl, S_SPLAT);
  const oneV = i32x4.splat(1);
  const cstride: usize = <usize>${D} << 4;
  const start = b << BLOCK_SHIFT;
  const end = min(n, start + BLOCK);
  ${touchBlock(['labels'])}
  let wcss: f64 = 0;
  let changed = 0;
  for (let i = start; i < end; i += 8) {
    const base = data + <usize>i * rowBytes;
${ind(loadTile(D, 'base', 'A'), 4)}
${ind(loadTile(D, `base + ${4 * D * 4}`, 'B'), 4)}
${ind(distance(D, 'splat', 'Abest', 'A').replace('let Abest', 'let Abest'), 4)}
${ind(distance(D, 'splat', 'Bbest', 'B'), 4)}
    let Aidx = i32x4.splat(0);
    let Bidx = i32x4.splat(0);
    let sp = splat + cstride;
    let cv = oneV;
    for (let c = 1; c < k; c++) {
${ind(step('A', 'sp'), 6)}
${ind(step('B', 'sp'), 6)}
      cv = i32x4.add(cv, oneV);
      sp += cstride;
    }
${ind(bookkeeping('Aidx', 'Abest', 'v128.load(labels + (<usize>i << 2))', 'i'), 4)}
${ind(bookkeeping('Bidx', 'Bbest', 'v128.load(labels + (<usize>(i + 4) << 2))', 'i + 4'), 4)}
  }
  finishBlock${D}(ctrl, b, start, end, wcss, changed);
}`;
}

/** Stores the block's WCSS and change count, and its partial sums unless the cached ones still hold. */
function finishBlock(D) {
  return `
function finishBlock${D}(ctrl: usize, b: i32, start: i32, end: i32, wcss: f64, changed: i32): void {
  const weighted = (slotI(ctrl, S_FLAGS) & FLAG_WEIGHTED) != 0;
  store<f64>(slotP(ctrl, S_BWCSS) + (<usize>b << 3), weighted ? weightedWcssBlock(ctrl, start, end) : wcss);
  store<i32>(slotP(ctrl, S_BCHANGED) + (<usize>b << 2), changed);
  const validP = slotP(ctrl, S_BVALID) + (<usize>b << 2);
  if (changed != 0 || load<i32>(validP) == 0) {
    if (weighted) accumulateBlockW(ctrl, b, start, end);
    else accumulateBlock${D}(ctrl, b, start, end);
    store<i32>(validP, 1);
  }
}`;
}

function accumulateBlock(D) {
  const dE = dimsExpr(D);
  let body;
  if (D === 0) {
    body = `for (let j = 0; j < d; j++) {
  const sj = sp + (<usize>j << 3);
  store<f64>(sj, load<f64>(sj) + <f64>load<f32>(xp + (<usize>j << 2)));
}`;
  } else {
    const lines = [];
    let j = 0;
    for (; j + 2 <= D; j += 2) {
      lines.push(
        `v128.store(sp, f64x2.add(v128.load(sp, ${8 * j}), f64x2.promote_low_f32x4(v128.load64_zero(xp, ${4 * j}))), ${8 * j});`,
      );
    }
    if (j < D) lines.push(`store<f64>(sp, load<f64>(sp, ${8 * j}) + <f64>load<f32>(xp, ${4 * j}), ${8 * j});`);
    body = lines.join('\n');
  }
  return `
function accumulateBlock${D}(ctrl: usize, b: i32, start: i32, end: i32): void {
${ind(D === 0 ? 'const d = slotI(ctrl, S_DIMS);' : '', 2)}
  const k = slotI(ctrl, S_K);
  const kd = <usize>k * <usize>${dE};
  const data = slotP(ctrl, S_DATA);
  const labels = slotP(ctrl, S_LABELS);
  const sums = slotP(ctrl, S_BSUMS) + ((<usize>b * kd) << 3);
  const counts = slotP(ctrl, S_BCOUNTS) + ((<usize>b * <usize>k) << 3);
  memory.fill(sums, 0, kd << 3);
  memory.fill(counts, 0, <usize>k << 3);
  const rowBytes: usize = <usize>${dE} << 2;
  const sumBytes: usize = <usize>${dE} << 3;
  for (let i = start; i < end; i++) {
    const a = <usize>load<i32>(labels + (<usize>i << 2));
    const cp = counts + (a << 3);
    store<f64>(cp, load<f64>(cp) + 1.0);
    const sp = sums + a * sumBytes;
    const xp = data + <usize>i * rowBytes;
${ind(body, 4)}
  }
}`;
}

function potentialsBlock(D, weighted = false) {
  return `
function potentialsBlock${weighted ? 'W' : ''}${D}(ctrl: usize, b: i32, tile: usize): void {
${ind(header(D), 2)}${weighted ? '\n  const wts = slotP(ctrl, S_WEIGHTS);' : ''}
  const n = slotI(ctrl, S_ROWS);
  const count = slotI(ctrl, S_COUNT);
  const data = slotP(ctrl, S_DATA);
  const closest = slotP(ctrl, S_CLOSEST);
  const cand = slotP(ctrl, S_CAND);
  const cstride: usize = <usize>${dimsExpr(D)} << 4;
  const pot = slotP(ctrl, S_BPOT) + ((<usize>b * <usize>count) << 3);
  memory.fill(pot, 0, <usize>count << 3);
  // FLAG_KEEP: candidate t's min(closest, d²) of row i goes to keep + t × keepStride + 4i,
  // so that choosing a candidate needs no second pass (the 4-lane store may write
  // up to 3 lanes past the last row, into the candidate's padding).
  const keepOn = (slotI(ctrl, S_FLAGS) & FLAG_KEEP) != 0;
  const keepStride = slotP(ctrl, S_KEEP_STRIDE);
  const start = b << BLOCK_SHIFT;
  const end = min(n, start + BLOCK);
  ${touchBlock(['closest'])}
  for (let i = start; i < end; i += 4) {
    const base = data + <usize>i * rowBytes;
${ind(loadTile(D, 'base'), 4)}
    const cl = v128.load(closest + (<usize>i << 2));
    const nv = end - i;
    let sp = cand;
    let kp = slotP(ctrl, S_KEEP) + (<usize>i << 2);
    for (let t = 0; t < count; t++) {
${ind(distance(D, 'sp', 'acc'), 6)}
      const m = v128.bitselect(acc, cl, f32x4.lt(acc, cl));
      if (keepOn) v128.store(kp, m);
      kp += keepStride;
      const pp = pot + (<usize>t << 3);
      let p = load<f64>(pp);
${ind(weighted ? addWeightedLanes('p', 'm', 'nv', 'i') : addLanes('p', 'm', 'nv'), 6)}
      store<f64>(pp, p);
      sp += cstride;
    }
  }
}`;
}

function updateBlock(D, weighted = false) {
  return `
function updateBlock${weighted ? 'W' : ''}${D}(ctrl: usize, b: i32, tile: usize): void {
${ind(header(D), 2)}${weighted ? '\n  const wts = slotP(ctrl, S_WEIGHTS);' : ''}
  const n = slotI(ctrl, S_ROWS);
  const reset = (slotI(ctrl, S_FLAGS) & FLAG_RESET) != 0;
  const data = slotP(ctrl, S_DATA);
  const closest = slotP(ctrl, S_CLOSEST);
  const cand = slotP(ctrl, S_CAND);
  const start = b << BLOCK_SHIFT;
  const end = min(n, start + BLOCK);
  ${touchBlock(['closest'])}
  let pot: f64 = 0;
  for (let i = start; i < end; i += 4) {
    const base = data + <usize>i * rowBytes;
${ind(loadTile(D, 'base'), 4)}
${ind(distance(D, 'cand', 'acc'), 4)}
    const cp = closest + (<usize>i << 2);
    const cl = v128.load(cp);
    const m = reset ? acc : v128.bitselect(acc, cl, f32x4.lt(acc, cl));
    v128.store(cp, m);
    const nv = end - i;
${ind(weighted ? addWeightedLanes('pot', 'm', 'nv', 'i') : addLanes('pot', 'm', 'nv'), 4)}
  }
  store<f64>(slotP(ctrl, S_BPOT) + (<usize>b << 3), pot);
}`;
}

function pairwiseRow(D) {
  // splats of row i: unrolled in locals s0..s{D-1}; generic in tile scratch after d v128
  let splats;
  let dist;
  let scalar;
  if (D === 0) {
    splats = `const sv = tile + (<usize>d << 4);
for (let j = 0; j < d; j++) v128.store(sv + (<usize>j << 4), v128.load32_splat(xi + (<usize>j << 2)));`;
    dist = `${loadTile(0, 'base')}
let e = f32x4.sub(v128.load(sv), v128.load(tile));
let acc = f32x4.mul(e, e);
for (let j = 1; j < d; j++) {
  const o = <usize>j << 4;
  e = f32x4.sub(v128.load(sv + o), v128.load(tile + o));
  acc = f32x4.add(acc, f32x4.mul(e, e));
}`;
    scalar = `let df: f32 = load<f32>(xi) - load<f32>(xj);
let s: f32 = df * df;
for (let q = 1; q < d; q++) {
  const o = <usize>q << 2;
  df = load<f32>(xi + o) - load<f32>(xj + o);
  s = s + df * df;
}`;
  } else {
    const sl = [];
    for (let j = 0; j < D; j++) sl.push(`const s${j} = v128.load32_splat(xi, ${4 * j});`);
    splats = sl.join('\n');
    const dl = [loadTile(D, 'base'), `const e0 = f32x4.sub(s0, t0);`, `let acc = f32x4.mul(e0, e0);`];
    for (let j = 1; j < D; j++) {
      dl.push(`const e${j} = f32x4.sub(s${j}, t${j});`);
      dl.push(`acc = f32x4.add(acc, f32x4.mul(e${j}, e${j}));`);
    }
    dist = dl.join('\n');
    const sc = [`let df: f32 = load<f32>(xi) - load<f32>(xj);`, `let s: f32 = df * df;`];
    for (let j = 1; j < D; j++) {
      sc.push(`df = load<f32>(xi, ${4 * j}) - load<f32>(xj, ${4 * j});`);
      sc.push(`s = s + df * df;`);
    }
    scalar = sc.join('\n');
  }
  return `
function pairwiseRow${D}(ctrl: usize, i: i32, out: usize, tile: usize): void {
${ind(header(D), 2)}
  const n = slotI(ctrl, S_ROWS);
  const data = slotP(ctrl, S_DATA);
  const xi = data + <usize>i * rowBytes;
${ind(splats, 2)}
  let j = i + 1;
  let o = out;
  for (; j + 4 <= n; j += 4) {
    const base = data + <usize>j * rowBytes;
${ind(dist, 4)}
    v128.store(o, f64x2.sqrt(f64x2.promote_low_f32x4(acc)));
    v128.store(o, f64x2.sqrt(f64x2.promote_low_f32x4(v128.shuffle<f32>(acc, acc, 2, 3, 0, 1))), 16);
    o += 32;
  }
  for (; j < n; j++) {
    const xj = data + <usize>j * rowBytes;
${ind(scalar, 4)}
    store<f64>(o, Math.sqrt(<f64>s));
    o += 8;
  }
}`;
}

function dispatch(name, args) {
  const cases = [];
  for (let D = 1; D <= MAX_UNROLLED; D++) cases.push(`case ${D}: ${name}${D}(${args}); break;`);
  return `switch (d) {
${ind(cases.join('\n'), 2)}
  default: ${name}0(${args});
}`;
}

const helpers = `
/**
 * Weighted mode (FLAG_WEIGHTED), one set for every d: the block's WCSS
 * Σ w_i · d_i in row order, with d_i the contract's float32 distance of row i
 * to its labelled centroid (the same bits the assign lanes computed), and the
 * block's weighted sums (w_i · x_ij) and counts (w_i). Only weighted jobs run
 * these, so the unweighted kernels are unchanged.
 */
function weightedWcssBlock(ctrl: usize, start: i32, end: i32): f64 {
  const d = slotI(ctrl, S_DIMS);
  const data = slotP(ctrl, S_DATA);
  const labels = slotP(ctrl, S_LABELS);
  const cent = slotP(ctrl, S_CENT);
  const wts = slotP(ctrl, S_WEIGHTS);
  let wcss: f64 = 0;
  for (let i = start; i < end; i++) wcss += load<f64>(wts + (<usize>i << 3)) * <f64>labelledDistance(data, labels, cent, d, i);
  return wcss;
}

function accumulateBlockW(ctrl: usize, b: i32, start: i32, end: i32): void {
  const d = slotI(ctrl, S_DIMS);
  const k = slotI(ctrl, S_K);
  const kd = <usize>k * <usize>d;
  const data = slotP(ctrl, S_DATA);
  const labels = slotP(ctrl, S_LABELS);
  const wts = slotP(ctrl, S_WEIGHTS);
  const sums = slotP(ctrl, S_BSUMS) + ((<usize>b * kd) << 3);
  const counts = slotP(ctrl, S_BCOUNTS) + ((<usize>b * <usize>k) << 3);
  memory.fill(sums, 0, kd << 3);
  memory.fill(counts, 0, <usize>k << 3);
  const rowBytes: usize = <usize>d << 2;
  const sumBytes: usize = <usize>d << 3;
  for (let i = start; i < end; i++) {
    const a = <usize>load<i32>(labels + (<usize>i << 2));
    const w = load<f64>(wts + (<usize>i << 3));
    const cp = counts + (a << 3);
    store<f64>(cp, load<f64>(cp) + w);
    const sp = sums + a * sumBytes;
    const xp = data + <usize>i * rowBytes;
    for (let j = 0; j < d; j++) {
      const sj = sp + (<usize>j << 3);
      store<f64>(sj, load<f64>(sj) + w * <f64>load<f32>(xp + (<usize>j << 2)));
    }
  }
}
`;

/** The complete AssemblyScript entry file. `layoutPath` / `reductionsPath` / `linkagePath` are import paths. */
export function generateKernels({ layoutPath, reductionsPath, linkagePath }) {
  const parts = [
    `// GENERATED by assembly/generate-kernels.mjs. Do not edit: edit the generator.`,
    `import {`,
    `  BLOCK, BLOCK_SHIFT, S_PENDING, S_NEXT, S_CMD, S_ROWS, S_DIMS, S_K, S_COUNT, S_FLAGS, S_NBLOCKS,`,
    `  S_DATA, S_LABELS, S_LOWER, S_CLOSEST, S_CENT, S_SPLAT, S_CAND,`,
    `  S_BSUMS, S_BCOUNTS, S_BWCSS, S_BCHANGED, S_BVALID, S_BPOT, S_OUT, S_ROW0, S_ROW1,`,
    `  S_SCRATCH, S_SCRATCH_STRIDE, S_BPASSED, S_KEEP, S_KEEP_STRIDE, S_WEIGHTS, F_KSTORE, F_KTEST, F_KDOWN, F_TINY, F_DRIFT,`,
    `  CMD_ASSIGN, CMD_POTENTIALS, CMD_UPDATE, CMD_PAIRWISE, CMD_WARD_SCAN, CMD_PRIM_SCAN, FLAG_BOUNDS, FLAG_BOUNDS_VALID, FLAG_RESET, FLAG_KEEP, FLAG_WEIGHTED,`,
    `  slotI, slotP, slotF, touchLines,`,
    `} from "${layoutPath}";`,
    `import { linkageBlocks, wardBlock, primBlock } from "${linkagePath}";`,
    `import { labelledDistance } from "${reductionsPath}";`,
    `export { heapBase, blockSize, reduceAssign, reduceChanged, reducePotentials, reduceUpdate, buildSplats, distancesRange } from "${reductionsPath}";`,
    helpers,
  ];
  for (let D = 0; D <= MAX_UNROLLED; D++) {
    parts.push(accumulateBlock(D), finishBlock(D), D >= 1 && D <= PAIR_MAX_D ? assignPlainPair(D) : assignBlock(D, 'plain'), assignBlock(D, 'second'), assignBlock(D, 'test'), potentialsBlock(D), updateBlock(D), potentialsBlock(D, true), updateBlock(D, true), pairwiseRow(D));
  }
  parts.push(`
/**
 * Runs the command in the control block at \`ctrl\` on this thread: claims
 * work items (blocks, or rows for pairwise) from the shared counter until
 * none is left. Every thread of a job calls this for each command; a block
 * is always computed whole by one thread, so results do not depend on the
 * thread count. \`slot\` selects this thread's scratch area.
 */
export function runCommand(ctrl: usize, slot: i32): void {
  const cmd = slotI(ctrl, S_CMD);
  const d = slotI(ctrl, S_DIMS);
  const tile = slotP(ctrl, S_SCRATCH) + <usize>slot * slotP(ctrl, S_SCRATCH_STRIDE);
  const next = ctrl + (<usize>S_NEXT << 2);
  if (cmd == CMD_PAIRWISE) {
    const row0 = slotI(ctrl, S_ROW0);
    const row1 = slotI(ctrl, S_ROW1);
    const n = slotI(ctrl, S_ROWS);
    const out = slotP(ctrl, S_OUT);
    for (;;) {
      const i = row0 + atomic.add<i32>(next, 1);
      if (i >= row1) break;
      // condensed offset of row i relative to row0: sum over r in [row0, i) of (n - 1 - r)
      const m = <u64>(i - row0);
      const off = m * <u64>(n - 1) - (m * <u64>(row0 + i - 1)) / 2;
      const o = out + <usize>(off << 3);
${ind(dispatch('pairwiseRow', 'ctrl, i, o, tile'), 6)}
    }
    return;
  }
  if (cmd == CMD_WARD_SCAN || cmd == CMD_PRIM_SCAN) {
    const nl = linkageBlocks(ctrl);
    for (;;) {
      const b = atomic.add<i32>(next, 1);
      if (b >= nl) break;
      if (cmd == CMD_WARD_SCAN) wardBlock(ctrl, b);
      else primBlock(ctrl, b);
    }
    return;
  }
  const nb = slotI(ctrl, S_NBLOCKS);
  const flags = slotI(ctrl, S_FLAGS);
  for (;;) {
    const b = atomic.add<i32>(next, 1);
    if (b >= nb) break;
    if (cmd == CMD_ASSIGN) {
      if ((flags & FLAG_BOUNDS_VALID) != 0) {
${ind(dispatch('assign_test', 'ctrl, b, tile'), 8)}
      } else if ((flags & FLAG_BOUNDS) != 0) {
${ind(dispatch('assign_second', 'ctrl, b, tile'), 8)}
      } else {
${ind(dispatch('assign_plain', 'ctrl, b, tile'), 8)}
      }
    } else if (cmd == CMD_POTENTIALS) {
      if ((flags & FLAG_WEIGHTED) != 0) {
${ind(dispatch('potentialsBlockW', 'ctrl, b, tile'), 8)}
      } else {
${ind(dispatch('potentialsBlock', 'ctrl, b, tile'), 8)}
      }
    } else if (cmd == CMD_UPDATE) {
      if ((flags & FLAG_WEIGHTED) != 0) {
${ind(dispatch('updateBlockW', 'ctrl, b, tile'), 8)}
      } else {
${ind(dispatch('updateBlock', 'ctrl, b, tile'), 8)}
      }
    } else {
      break;
    }
  }
}
`);
  return parts.join('\n');
}
