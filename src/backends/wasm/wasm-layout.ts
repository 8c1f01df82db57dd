/**
 * Memory layout of a wasm job and the control-block protocol shared with the
 * AssemblyScript kernels (assembly/layout.ts mirrors the slot numbers).
 *
 * One job owns one shared `WebAssembly.Memory`:
 *
 * | region | size (bytes) | notes |
 * |---|---|---|
 * | reserved | 1024 | the module's static data (none today) |
 * | control block | 256 | 64 four-byte slots: command, parameters, sync words |
 * | data | rows × dims × 4 + padding | row-major float32; the only O(n·d) region |
 * | labels, lower bounds, closest | 3 × (rows + 8) × 4 | per-row state |
 * | per-block wcss / changed / valid / passed | nBlocks × 20 | |
 * | workspace | depends on k | centroids, splats, block partial sums (nBlocks × k × dims × 8), scratch |
 * | staging | grows on demand | pairwise distances, readDistances chunks, the linkage table, k-means++ candidates' kept distances |
 *
 * Everything up to the workspace depends only on (rows, dims), so a matrix
 * allocated by `allocateMatrix` before a job exists can be adopted without a copy.
 */
import { ROW_BLOCK_SIZE } from '../kernel-contract.js';
import { SegmentaError } from '../../common/errors.js';
import { groupDigits } from '../../common/format-number.js';

// Slots (i32 index into the control block); keep in step with assembly/layout.ts.
export const S_GEN = 0;
export const S_PENDING = 1;
export const S_NEXT = 2;
export const S_ERROR = 3;
export const S_CMD = 4;
export const S_ROWS = 5;
export const S_DIMS = 6;
export const S_K = 7;
export const S_COUNT = 8;
export const S_FLAGS = 9;
export const S_NBLOCKS = 10;
export const S_DATA = 11;
export const S_LABELS = 12;
export const S_LOWER = 13;
export const S_CLOSEST = 14;
export const S_CENT = 15;
export const S_SPLAT = 16;
export const S_CAND = 17;
export const S_BPASSED = 18;
export const S_WEIGHTS = 19;
export const S_BSUMS = 20;
export const S_BCOUNTS = 21;
export const S_BWCSS = 22;
export const S_BCHANGED = 23;
export const S_BVALID = 24;
export const S_BPOT = 25;
export const S_OUT = 26;
export const S_ROW0 = 27;
export const S_ROW1 = 28;
export const S_SCRATCH = 29;
export const S_SCRATCH_STRIDE = 30;
export const S_SUMS = 31;
export const S_COUNTS = 32;
export const S_POTOUT = 33;
export const S_LNK_M = 34;
export const S_LNK_CAP = 35;
export const S_LNK_COLS = 36;
export const S_LNK_W = 37;
export const S_LNK_Q = 38;
export const S_LNK_RES = 39;
export const S_KEEP = 56;
export const S_KEEP_STRIDE = 57;
export const F_KSTORE = 40;
export const F_KTEST = 41;
export const F_KDOWN = 43;
export const F_TINY = 45;
export const F_DRIFT = 47;

export const CMD_ASSIGN = 1;
export const CMD_POTENTIALS = 2;
export const CMD_UPDATE = 3;
export const CMD_PAIRWISE = 4;
export const CMD_WARD_SCAN = 5;
export const CMD_PRIM_SCAN = 6;
/** Host-only command: workers leave their wait loop and go back to the pool. */
export const CMD_EXIT = 99;

export const FLAG_BOUNDS = 1;
export const FLAG_BOUNDS_VALID = 2;
export const FLAG_RESET = 4;
export const FLAG_KEEP = 8;
export const FLAG_WEIGHTED = 16;

export const PAGE_BYTES = 65536;
/** wasm32 can address at most 65536 pages of 64 KiB: 4 GiB. */
export const WASM32_MAX_PAGES = 65536;
export const WASM32_MAX_BYTES = WASM32_MAX_PAGES * PAGE_BYTES;
/** Environment variable: the most MiB one wasm job's memory may take (default: wasm32's 4 GiB). */
export const WASM_MAX_MB_ENV = 'SEGMENTA_WASM_MAX_MB';

/**
 * The most bytes one wasm job's memory may take: `SEGMENTA_WASM_MAX_MB` MiB
 * when set (e.g. to run within a memory budget, docs/streaming.md), at most 4 GiB.
 *
 * @throws SegmentaError `INVALID_OPTION` when the variable is not a positive number
 */
export function wasmMemoryLimitBytes(): number {
  const raw = process.env[WASM_MAX_MB_ENV];
  if (raw === undefined || raw.trim() === '') return WASM32_MAX_BYTES;
  const mb = Number(raw);
  if (!Number.isFinite(mb) || mb <= 0) {
    throw new SegmentaError('INVALID_OPTION', `${WASM_MAX_MB_ENV} must be a positive number of MiB, got '${raw}'`, { option: WASM_MAX_MB_ENV, value: raw });
  }
  return Math.min(WASM32_MAX_BYTES, Math.floor(mb * 16) * PAGE_BYTES);
}
/** The module's static data must end below this (checked when the module loads). */
export const RESERVED_BYTES = 1024;
export const CTRL_BYTES = 256;
/** k and candidate capacity the first workspace is laid out for. */
export const INITIAL_K_CAPACITY = 16;
export const INITIAL_COUNT_CAPACITY = 8;

const align = (x: number, a: number): number => Math.ceil(x / a) * a;

/** Byte offsets of the regions that depend only on (rows, dims). */
export interface FixedLayout {
  rows: number;
  dims: number;
  nBlocks: number;
  ctrl: number;
  data: number;
  labels: number;
  lower: number;
  closest: number;
  bWcss: number;
  bChanged: number;
  bValid: number;
  bPassed: number;
  /** First byte of the workspace. */
  end: number;
}

/** Byte offsets of the k-dependent workspace (and the staging area at its end). */
export interface WorkLayout {
  kCap: number;
  countCap: number;
  threads: number;
  stagingBytes: number;
  cent: number;
  prev: number;
  splat: number;
  cand: number;
  candRaw: number;
  bSums: number;
  bCounts: number;
  bPot: number;
  sums: number;
  counts: number;
  potOut: number;
  /** Sample weights (rows + 8 f64), present when the job is weighted. */
  weights: number;
  weightRows: number;
  scratch: number;
  scratchStride: number;
  staging: number;
  end: number;
}

/** Padding after the data: an 8-row step plus one v128 may be read past the last row. */
export function dataPadBytes(dims: number): number {
  return align(8 * dims * 4 + 64, 16);
}

/** Lays out the regions that depend only on the shape. */
export function planFixed(rows: number, dims: number): FixedLayout {
  const nBlocks = Math.ceil(rows / ROW_BLOCK_SIZE);
  let p = RESERVED_BYTES;
  const ctrl = p;
  p += CTRL_BYTES;
  const data = p;
  p = align(p + rows * dims * 4 + dataPadBytes(dims), 64);
  const perRow = align((rows + 8) * 4, 64);
  const labels = p;
  p += perRow;
  const lower = p;
  p += perRow;
  const closest = p;
  p += perRow;
  const bWcss = p;
  p = align(p + nBlocks * 8, 64);
  const bChanged = p;
  p = align(p + nBlocks * 4, 64);
  const bValid = p;
  p = align(p + nBlocks * 4, 64);
  const bPassed = p;
  p = align(p + nBlocks * 4, 64);
  return { rows, dims, nBlocks, ctrl, data, labels, lower, closest, bWcss, bChanged, bValid, bPassed, end: p };
}

/** Lays out the workspace for up to `kCap` centroids and `countCap` candidates after `fixed`. */
export function planWork(fixed: FixedLayout, kCap: number, countCap: number, threads: number, stagingBytes: number, weightRows = 0): WorkLayout {
  const { dims, nBlocks } = fixed;
  let p = fixed.end;
  const take = (bytes: number): number => {
    const at = p;
    p = align(p + bytes, 64);
    return at;
  };
  const cent = take((kCap * dims + 8) * 4);
  const prev = take((kCap * dims + 8) * 4);
  const splat = take(kCap * dims * 16);
  const cand = take(countCap * dims * 16);
  const candRaw = take((countCap * dims + 8) * 4);
  const bSums = take(nBlocks * kCap * dims * 8);
  const bCounts = take(nBlocks * kCap * 8);
  const bPot = take(nBlocks * Math.max(countCap, 1) * 8);
  const sums = take(kCap * dims * 8 + 16);
  const counts = take(kCap * 8 + 16);
  const potOut = take(countCap * 8 + 16);
  const weights = take(weightRows > 0 ? (weightRows + 8) * 8 : 0);
  const scratchStride = align(2 * dims * 16 + 256, 64);
  const scratch = take(threads * scratchStride);
  const staging = take(stagingBytes);
  return {
    kCap,
    countCap,
    threads,
    stagingBytes,
    cent,
    prev,
    splat,
    cand,
    candRaw,
    bSums,
    bCounts,
    bPot,
    sums,
    counts,
    potOut,
    weights,
    weightRows,
    scratch,
    scratchStride,
    staging,
    end: p,
  };
}

/** Formats a byte count as `1,234,567,890 bytes (1.15 GiB)`. */
export function formatBytes(bytes: number): string {
  return `${groupDigits(bytes)} bytes (${(bytes / 2 ** 30).toFixed(2)} GiB)`;
}

/**
 * Throws `MEMORY_LIMIT` when a job of this size cannot fit in wasm32 memory.
 * @param needed total bytes the job's memory would need
 */
export function checkMemoryLimit(rows: number, dims: number, needed: number, what: string): void {
  const limit = wasmMemoryLimitBytes();
  if (needed <= limit) return;
  const dataBytes = rows * dims * 4;
  const which = limit < WASM32_MAX_BYTES ? `the wasm memory limit of ${limit / 2 ** 20} MiB set by ${WASM_MAX_MB_ENV}` : 'the wasm32 memory limit of 4 GiB';
  throw new SegmentaError(
    'MEMORY_LIMIT',
    `the wasm backend cannot hold ${what}: ${groupDigits(rows)} rows × ${dims} features × 4 bytes = ` +
      `${formatBytes(dataBytes)} of data plus ${formatBytes(needed - dataBytes)} of workspace needs ${formatBytes(needed)}, ` +
      `above ${which} (${groupDigits(limit)} bytes); ` +
      `use fewer rows or features (e.g. a sample), --streamed, or another backend (--backend js)`,
    { rows, dims, dataBytes, neededBytes: needed, limitBytes: limit },
  );
}

/** Pages covering `bytes`. */
export function pagesFor(bytes: number): number {
  return Math.ceil(bytes / PAGE_BYTES);
}

/**
 * Conservative float32 factors of the bound test for `dims` features (see
 * wasm-job.ts, "Exact bounds"). `gamma` bounds the relative error of the
 * contract's float32 squared distance against the exact one:
 * |fl(d²) − d²| <= gamma · d² (+ underflow terms below 2⁻¹⁴⁰).
 * - kStore: lower² = second · kStore never exceeds the exact squared distance;
 * - kTest: own < lower² · kTest implies own < every other float32 distance;
 * - kDown (1 − 2⁻²⁰): absorbs the rounding of each float32 step (2⁻²⁴).
 */
export function boundConstants(dims: number): { gamma: number; kStore: number; kTest: number; kDown: number; tiny: number } {
  const u = 2 ** -24;
  const m = dims + 2;
  const gamma = (1.01 * m * u) / (1 - m * u);
  return {
    gamma,
    kStore: f32Down((1 - 2 ** -20) / (1 + gamma)),
    kTest: f32Down((1 - gamma) * (1 - 2 ** -20)),
    kDown: 1 - 2 ** -20,
    tiny: 2 ** -100,
  };
}

/** Rounds a non-negative float64 up to a float32 that is >= it. */
export function f32Up(x: number): number {
  return Math.fround(x * (1 + 2 ** -20) + 2 ** -140);
}

/** Rounds a non-negative float64 down to a float32 that is <= it (and >= 0). */
export function f32Down(x: number): number {
  return Math.max(0, Math.fround(x * (1 - 2 ** -20) - 2 ** -140));
}

const bits = new Float32Array(1);
const bitsU = new Uint32Array(bits.buffer);

/** The smallest float32 >= x for x >= 0 (exactly representable result). */
export function f32Ceil(x: number): number {
  bits[0] = x;
  if (bits[0]! >= x || !Number.isFinite(x)) return bits[0]!;
  bitsU[0] = bitsU[0]! + 1;
  return bits[0]!;
}
