/**
 * A uniform grid over the rows, with cells of side (just over) `eps`: every
 * pair of rows at most `eps` apart lies in the same cell or in two cells that
 * touch (coordinates differing by at most 1 in every feature). DBSCAN's
 * neighbour search scans, for each occupied cell, itself and the occupied
 * cells among its 3^d − 1 neighbours: O(n) memory, and time proportional to
 * the candidate pairs instead of n².
 *
 * Cells are found through an open-addressing hash table on their integer
 * coordinates, so only occupied cells cost memory, however small `eps` is.
 * The rows are copied in cell order (float32, as given) so that a cell's rows
 * sit together in memory.
 *
 * Cell side: `eps · (1 + 2⁻²⁰)`. The coordinate `floor((x − min) / side)` is
 * computed in float64 with an error far below 2⁻²⁰ of a cell while a feature
 * spans fewer than 2³⁰ cells, so two values at most `eps` apart never land
 * two cells apart. {@link gridFits} says whether the data is in that range
 * (and whether the grid is worth it); the caller falls back to the pairwise
 * kernel otherwise.
 */

/** Most features for which the grid is used (3^d neighbour cells: 243 at d = 5). */
export const GRID_MAX_DIMS = 5;

/** Most cells a feature may span (see the module comment). */
const MAX_CELLS_PER_FEATURE = 2 ** 30;

/** Relative margin of the cell side over eps. */
const SIDE_MARGIN = 2 ** -20;

/** The grid: rows sorted by cell, cell coordinates and a hash from coordinates to cell. */
export interface NeighbourGrid {
  readonly dims: number;
  /** Number of occupied cells. */
  readonly cells: number;
  /** Row numbers in cell order: cell c holds `order[cellStart[c] .. cellStart[c + 1])`. */
  readonly order: Int32Array;
  readonly cellStart: Int32Array;
  /** The rows' values in cell order (row `order[p]` at `sorted[p * dims ..]`). */
  readonly sorted: Float32Array;
  /** Integer coordinates of each cell (cells × dims). */
  readonly coords: Int32Array;
  /** Cell of coordinates `c` (dims values), or -1 when unoccupied. */
  find(c: Int32Array): number;
}

/** True when the grid applies: few features, and no feature spans 2³⁰ cells or more. */
export function gridFits(data: Float32Array, rows: number, dims: number, eps: number): boolean {
  if (dims > GRID_MAX_DIMS || rows === 0) return false;
  const { min, max } = featureRanges(data, rows, dims);
  const side = eps * (1 + SIDE_MARGIN);
  for (let j = 0; j < dims; j++) if ((max[j]! - min[j]!) / side >= MAX_CELLS_PER_FEATURE) return false;
  return true;
}

function featureRanges(data: Float32Array, rows: number, dims: number): { min: Float64Array; max: Float64Array } {
  const min = new Float64Array(dims).fill(Infinity);
  const max = new Float64Array(dims).fill(-Infinity);
  for (let i = 0, p = 0; i < rows; i++) {
    for (let j = 0; j < dims; j++, p++) {
      const v = data[p]!;
      if (v < min[j]!) min[j] = v;
      if (v > max[j]!) max[j] = v;
    }
  }
  return { min, max };
}

function hashCoords(c: Int32Array, offset: number, dims: number): number {
  let h = 0x811c9dc5;
  for (let j = 0; j < dims; j++) h = Math.imul(h ^ c[offset + j]!, 0x01000193) ^ (h >>> 15);
  return h >>> 0;
}

/**
 * Builds the grid of `data` (rows × dims float32). Check {@link gridFits} first.
 */
export function buildNeighbourGrid(data: Float32Array, rows: number, dims: number, eps: number): NeighbourGrid {
  const { min } = featureRanges(data, rows, dims);
  const side = eps * (1 + SIDE_MARGIN);
  let capacity = 16;
  while (capacity < 2 * rows) capacity *= 2;
  const mask = capacity - 1;
  const table = new Int32Array(capacity).fill(-1);
  // Coordinates of each cell, in order of first occupation; grown on demand.
  let coords = new Int32Array(Math.max(16, Math.min(rows, 1 << 16)) * dims);
  const cellOf = new Int32Array(rows);
  const point = new Int32Array(dims);
  let cells = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < dims; j++) point[j] = Math.floor((data[i * dims + j]! - min[j]!) / side);
    let slot = hashCoords(point, 0, dims) & mask;
    for (;;) {
      const c = table[slot]!;
      if (c < 0) {
        if ((cells + 1) * dims > coords.length) {
          const grown = new Int32Array(Math.min(rows * dims, coords.length * 2));
          grown.set(coords);
          coords = grown;
        }
        coords.set(point, cells * dims);
        table[slot] = cells;
        cellOf[i] = cells++;
        break;
      }
      let same = true;
      for (let j = 0; j < dims; j++) {
        if (coords[c * dims + j] !== point[j]) {
          same = false;
          break;
        }
      }
      if (same) {
        cellOf[i] = c;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  // Counting sort of the rows by cell (stable: ascending row number within a cell).
  const cellStart = new Int32Array(cells + 1);
  for (let i = 0; i < rows; i++) cellStart[cellOf[i]! + 1]!++;
  for (let c = 0; c < cells; c++) cellStart[c + 1]! += cellStart[c]!;
  const next = cellStart.slice(0, cells);
  const order = new Int32Array(rows);
  for (let i = 0; i < rows; i++) order[next[cellOf[i]!]!++] = i;
  const sorted = new Float32Array(rows * dims);
  for (let p = 0; p < rows; p++) sorted.set(data.subarray(order[p]! * dims, order[p]! * dims + dims), p * dims);
  const cellCoords = coords.slice(0, cells * dims);
  return {
    dims,
    cells,
    order,
    cellStart,
    sorted,
    coords: cellCoords,
    find(c: Int32Array): number {
      let slot = hashCoords(c, 0, dims) & mask;
      for (;;) {
        const cell = table[slot]!;
        if (cell < 0) return -1;
        let same = true;
        for (let j = 0; j < dims; j++) {
          if (cellCoords[cell * dims + j] !== c[j]) {
            same = false;
            break;
          }
        }
        if (same) return cell;
        slot = (slot + 1) & mask;
      }
    },
  };
}

/**
 * The offsets of the "forward" half of a cell's neighbourhood: every vector
 * in {−1, 0, 1}^d whose first non-zero entry is +1 ((3^d − 1) / 2 of them).
 * Visiting each cell with these offsets (and itself) visits every touching
 * pair of cells exactly once.
 */
export function forwardOffsets(dims: number): Int32Array[] {
  const out: Int32Array[] = [];
  const total = 3 ** dims;
  for (let code = 0; code < total; code++) {
    const o = new Int32Array(dims);
    let rest = code;
    for (let j = dims - 1; j >= 0; j--) {
      o[j] = (rest % 3) - 1;
      rest = Math.floor(rest / 3);
    }
    const first = o.find((v) => v !== 0);
    if (first === 1) out.push(o);
  }
  return out;
}

/**
 * For each occupied cell, the occupied cells among its forward neighbours
 * ({@link forwardOffsets}), as a flat list: cell c's are
 * `list[start[c] .. start[c + 1])`. O(cells · 3^d / 2) hash look-ups, once.
 */
export function forwardNeighbourCells(grid: NeighbourGrid): { start: Int32Array; list: Int32Array } {
  const { cells, dims, coords } = grid;
  const offsets = forwardOffsets(dims);
  const start = new Int32Array(cells + 1);
  let list = new Int32Array(Math.max(16, cells * 2));
  let length = 0;
  const probe = new Int32Array(dims);
  for (let c = 0; c < cells; c++) {
    start[c] = length;
    for (const o of offsets) {
      for (let j = 0; j < dims; j++) probe[j] = coords[c * dims + j]! + o[j]!;
      const other = grid.find(probe);
      if (other < 0) continue;
      if (length === list.length) {
        const grown = new Int32Array(list.length * 2);
        grown.set(list);
        list = grown;
      }
      list[length++] = other;
    }
  }
  start[cells] = length;
  return { start, list: list.slice(0, length) };
}
