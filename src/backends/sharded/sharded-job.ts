/**
 * A sharded job: the rows split into contiguous shards of whole
 * {@link ROW_BLOCK_SIZE}-row blocks, each shard served by its own backend job
 * (in this process, or in a worker process behind Redis). It follows the
 * numeric contract exactly: every shard hands back its per-block partials
 * (WCSS and per-cluster sums), and this job adds them in global block order
 * (`total = 0; for b in blocks: total += block[b]`), which is exactly what the
 * unsharded job computes. Adding per-shard totals instead would be a different
 * association of the same doubles and could differ in the last bit.
 *
 * Only the Lloyd kernels are sharded (assign, labels). k-means++ runs on a
 * seeded sample the driver gathers from the shards into an ordinary job, so
 * the potential kernels are not offered here.
 */
import { SegmentaError } from '../../common/errors.js';
import { missingKernel } from '../backend-registry.js';
import { ROW_BLOCK_SIZE, type AssignStats, type KernelJob } from '../kernel-contract.js';

/** Rows [start, end) of one shard; `start` is a multiple of ROW_BLOCK_SIZE. */
export interface ShardRange {
  start: number;
  end: number;
}

/** What one shard returns from an assign pass. */
export interface AssignPartials {
  /** One WCSS per block of the shard, in block order. */
  blockWcss: Float64Array;
  /** blocks × k × dims per-block cluster sums, block-major. */
  blockSums: Float64Array;
  /** k member counts (whole numbers). */
  counts: Float64Array;
  /** Rows of the shard whose label changed since its previous assign pass. */
  changed: number;
}

/** The shards as the sharded job sees them: assign and labels, wherever they run. */
export interface AssignShards {
  /** Contiguous ranges in row order, each starting on a block boundary. */
  readonly ranges: readonly ShardRange[];
  /** The shards' concrete backend, e.g. `wasm-simd (2 threads)`. */
  readonly backend: string;
  /** One assign pass on every shard; partials in shard order. */
  assignAll(centroids: Float32Array, k: number): Promise<AssignPartials[]>;
  /** Labels of every shard's last assign pass (range lengths), in shard order. */
  labelsAll(): Promise<Int32Array[]>;
}

/**
 * Splits `rows` into at most `shards` contiguous runs of whole blocks, as even
 * as possible (the first shards get the extra blocks). Fewer shards come back
 * when there are fewer blocks than shards.
 *
 * @example planShards(200_000, 4) // 49 blocks: 13, 12, 12, 12 blocks
 */
export function planShards(rows: number, shards: number): ShardRange[] {
  if (!Number.isInteger(shards) || shards < 1) {
    throw new SegmentaError('INVALID_OPTION', `shards must be an integer >= 1, got ${String(shards)}`, { option: 'shards', value: shards });
  }
  const blocks = Math.ceil(rows / ROW_BLOCK_SIZE);
  const n = Math.max(1, Math.min(shards, blocks));
  const out: ShardRange[] = [];
  let block = 0;
  for (let s = 0; s < n; s++) {
    const take = Math.floor(blocks / n) + (s < blocks % n ? 1 : 0);
    out.push({ start: block * ROW_BLOCK_SIZE, end: Math.min(rows, (block + take) * ROW_BLOCK_SIZE) });
    block += take;
  }
  return out;
}

/** The composite job (see the module comment). */
export class ShardedJob implements KernelJob {
  readonly exact = true;
  readonly rows: number;

  constructor(
    private readonly shards: AssignShards,
    readonly dims: number,
    private readonly onDispose: () => Promise<void> = async () => undefined,
  ) {
    let next = 0;
    for (const r of shards.ranges) {
      if (r.start !== next || r.start % ROW_BLOCK_SIZE !== 0 || r.end <= r.start) {
        throw new SegmentaError('INVALID_OPTION', `shard rows [${r.start}, ${r.end}) do not continue at row ${next} on a ${ROW_BLOCK_SIZE}-row block boundary`);
      }
      next = r.end;
    }
    this.rows = next;
  }

  get backend(): string {
    const n = this.shards.ranges.length;
    return `${this.shards.backend} × ${n} shard${n === 1 ? '' : 's'}`;
  }

  async assign(centroids: Float32Array, k: number, sums: Float64Array, counts: Float64Array): Promise<AssignStats> {
    const parts = await this.shards.assignAll(centroids, k);
    const kd = k * this.dims;
    sums.fill(0, 0, kd);
    counts.fill(0, 0, k);
    let wcss = 0;
    let changed = 0;
    for (const p of parts) {
      const blocks = p.blockWcss.length;
      for (let b = 0; b < blocks; b++) {
        wcss += p.blockWcss[b]!;
        const o = b * kd;
        for (let q = 0; q < kd; q++) sums[q]! += p.blockSums[o + q]!;
      }
      for (let c = 0; c < k; c++) counts[c]! += p.counts[c]!;
      changed += p.changed;
    }
    return { wcss, changed };
  }

  async readLabels(out: Int32Array): Promise<void> {
    const labels = await this.shards.labelsAll();
    this.shards.ranges.forEach((r, i) => out.set(labels[i]!, r.start));
  }

  /** Not sharded: the driver finds the farthest rows through its sharded data. */
  async readDistances(_out: Float32Array): Promise<void> {
    throw missingKernel(this, 'readDistances');
  }
  async candidatePotentials(_candidates: Float32Array, _count: number, _out: Float64Array): Promise<void> {
    throw missingKernel(this, 'candidatePotentials');
  }
  async updateClosest(_center: Float32Array, _reset: boolean): Promise<number> {
    throw missingKernel(this, 'updateClosest');
  }
  async readClosest(_out: Float32Array): Promise<void> {
    throw missingKernel(this, 'readClosest');
  }

  async dispose(): Promise<void> {
    await this.onDispose();
  }
}
