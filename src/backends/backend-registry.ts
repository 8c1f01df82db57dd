/**
 * Backend registry with priority-based `auto` selection (after tfjs's engine
 * registry). Backends register themselves; `resolveBackend('auto')` picks the
 * available one with the highest priority.
 */
import { SegmentaError } from '../common/errors.js';
import type { BackendAvailability, KernelBackend, KernelJob } from './kernel-contract.js';

const backends = new Map<string, KernelBackend>();

/** Adds (or replaces) a backend under its name. */
export function registerBackend(backend: KernelBackend): void {
  backends.set(backend.name, backend);
}

/** Names of every registered backend, highest priority first. */
export function backendNames(): string[] {
  return [...backends.values()].sort((a, b) => b.priority - a.priority).map((b) => b.name);
}

/** One row of `segmenta backends`. */
export interface BackendStatus {
  name: string;
  priority: number;
  description: string;
  available: boolean;
  /** Why the backend cannot run here (when unavailable), or what it runs on. */
  detail: string;
}

/** Every registered backend with its availability, highest priority first. */
export async function listBackends(): Promise<BackendStatus[]> {
  const rows: BackendStatus[] = [];
  for (const name of backendNames()) {
    const b = backends.get(name)!;
    const a: BackendAvailability = await b.checkAvailability();
    rows.push({
      name,
      priority: b.priority,
      description: b.description,
      available: a.available,
      detail: a.available ? (a.detail ?? '') : a.reason,
    });
  }
  return rows;
}

/**
 * The backend for a `--backend` value: a registered name, or `auto` for the
 * highest-priority available one.
 *
 * @throws SegmentaError `UNKNOWN_BACKEND` for a name nobody registered,
 *   `BACKEND_UNAVAILABLE` (with the reason) for one that cannot run here.
 */
export async function resolveBackend(name = 'auto'): Promise<KernelBackend> {
  if (name === 'auto') {
    const reasons: string[] = [];
    for (const candidate of backendNames()) {
      const b = backends.get(candidate)!;
      const a = await b.checkAvailability();
      if (a.available) return b;
      reasons.push(`${candidate}: ${a.reason}`);
    }
    throw new SegmentaError('BACKEND_UNAVAILABLE', `no backend is available (${reasons.join('; ')})`);
  }
  const b = backends.get(name);
  if (!b) {
    throw new SegmentaError('UNKNOWN_BACKEND', `unknown backend '${name}' (available: auto, ${backendNames().join(', ')})`, {
      value: name,
    });
  }
  const a = await b.checkAvailability();
  if (!a.available) {
    throw new SegmentaError('BACKEND_UNAVAILABLE', `backend '${name}' is not available: ${a.reason}`, { backend: name, reason: a.reason });
  }
  return b;
}

/** Error for an optional kernel a backend does not implement: names both. */
export function missingKernel(job: KernelJob, kernel: string): SegmentaError {
  return new SegmentaError('KERNEL_NOT_IMPLEMENTED', `backend '${job.backend}' does not implement kernel '${kernel}'`, {
    backend: job.backend,
    kernel,
  });
}
