/**
 * scikit-learn on the same CSV, side by side with segmenta in the same run
 * (a reference only: never a dependency). Runs /usr/bin/python3 (or
 * $SEGMENTA_PYTHON) with the script below on stdin-free `-c`.
 *
 * The script: KMeans(k, init='k-means++', n_init, random_state) for k in
 * [kMin, kMax] on StandardScaler-scaled features, CSV load included (pandas
 * when installed, else numpy's C CSV parser), in one process; it prints one
 * JSON line.
 */
import { spawn } from 'node:child_process';

/** The python executable used for the reference. */
export function pythonPath(): string {
  return process.env.SEGMENTA_PYTHON ?? '/usr/bin/python3';
}

const SCRIPT = String.raw`
import json, os, sys, time
t0 = time.perf_counter()
c0 = time.process_time()
path, features = sys.argv[1], sys.argv[2].split("\x1f")
k_min, k_max, n_init, seed = map(int, sys.argv[3:7])
scale = sys.argv[7]
import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler, MinMaxScaler
try:
    import pandas as pd
    x = pd.read_csv(path, usecols=features)[features].to_numpy(dtype=np.float64)
    loader = "pandas " + pd.__version__
except ImportError:
    with open(path, "r", encoding="utf-8") as f:
        header = f.readline().rstrip("\r\n").split(",")
    cols = [header.index(name) for name in features]
    x = np.loadtxt(path, delimiter=",", skiprows=1, usecols=cols, dtype=np.float64, ndmin=2)
    loader = "numpy " + np.__version__ + " loadtxt"
if scale == "standard":
    x = StandardScaler().fit_transform(x)
elif scale == "minmax":
    x = MinMaxScaler().fit_transform(x)
t1 = time.perf_counter()
wcss = []
iters = []
for k in range(k_min, k_max + 1):
    km = KMeans(n_clusters=k, init="k-means++", n_init=n_init, random_state=seed).fit(x)
    wcss.append(float(km.inertia_))
    iters.append(int(km.n_iter_))
t2 = time.perf_counter()
c2 = time.process_time()
try:
    from threadpoolctl import threadpool_info
    threads = max((p.get("num_threads", 1) for p in threadpool_info()), default=os.cpu_count())
except Exception:
    threads = os.cpu_count()
print(json.dumps({"version": sklearn.__version__, "loader": loader, "threads": threads, "rows": int(x.shape[0]),
                  "loadSeconds": t1 - t0, "fitSeconds": t2 - t1, "seconds": t2 - t0, "cpuSeconds": c2 - c0, "wcss": wcss, "iterations": iters}))
`;

/** What the reference run reports. */
export interface SklearnSweep {
  version: string;
  loader: string;
  threads: number;
  rows: number;
  /** Import + CSV load + scaling. */
  loadSeconds: number;
  fitSeconds: number;
  /** Everything, as seen inside python (imports, load, scaling, fits). */
  seconds: number;
  /** CPU seconds of the python process over `seconds` (every thread, user + system: time.process_time). */
  cpuSeconds: number;
  /** Wall time of the python process as seen from node. */
  wallSeconds: number;
  wcss: number[];
  iterations: number[];
}

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(pythonPath(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stdout, stderr: stderr + e.message });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Whether the python has scikit-learn and numpy; the reason when not. */
export async function sklearnAvailability(): Promise<{ available: true; version: string } | { available: false; reason: string }> {
  const r = await run(['-c', 'import sklearn, numpy; print(sklearn.__version__)'], 60_000);
  if (r.code === 0) return { available: true, version: r.stdout.trim() };
  return { available: false, reason: `${pythonPath()} has no scikit-learn (${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 200)})` };
}

/**
 * Runs the scikit-learn sweep on `path`.
 * @throws Error when python fails (the message has its last stderr line)
 */
export async function runSklearnSweep(
  path: string,
  features: string[],
  opts: { kMin: number; kMax: number; nInit: number; seed: number; scale: 'none' | 'standard' | 'minmax'; timeoutMs?: number },
): Promise<SklearnSweep> {
  const t0 = performance.now();
  const r = await run(
    ['-c', SCRIPT, path, features.join('\x1f'), String(opts.kMin), String(opts.kMax), String(opts.nInit), String(opts.seed), opts.scale],
    opts.timeoutMs ?? 3_600_000,
  );
  const wallSeconds = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`scikit-learn reference failed (exit ${r.code}): ${r.stderr.trim().split('\n').slice(-1)[0] ?? ''}`);
  const line = r.stdout.trim().split('\n').pop()!;
  return { ...(JSON.parse(line) as Omit<SklearnSweep, 'wallSeconds'>), wallSeconds };
}
