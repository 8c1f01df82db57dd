/**
 * Gaussian-mixture benchmark: seconds per EM iteration (E-step + M-step) of
 * segmenta's driver for each covariance type on generated customers
 * (standard-scaled), and scikit-learn's GaussianMixture from the same initial
 * parameters with the same number of iterations, when /usr/bin/python3 has it.
 * Prints Markdown (wall and CPU time of the process per iteration).
 *
 *   node dist/bench/gmm-bench.js [--rows 200000] [--features 3] [--k 5] [--iterations 10]
 */
import { spawnSync } from 'node:child_process';
import '../src/backends/built-in-backends.js';
import { COVARIANCE_TYPES, fitGaussianMixture, precisionsFromCholesky, type CovarianceType } from '../src/drivers/gaussian-mixture.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { scaledCustomers } from './agglomerative-bench.js';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: number): number => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const rows = arg('--rows', 200_000);
const features = arg('--features', 3);
const k = arg('--k', 5);
const iterations = arg('--iterations', 10);

const { matrix } = scaledCustomers(rows, features);
const km = await fitKMeans(matrix, { k, seed: 42 });

interface Row {
  covariance: CovarianceType;
  segmentaMsPerIter: number;
  segmentaCpuMsPerIter: number;
  sklearnMsPerIter: number | null;
  sklearnCpuMsPerIter: number | null;
  meanLogLikelihood: number;
  sklearnScore: number | null;
}


const SKLEARN = `
import json, sys, time, numpy as np
from sklearn.mixture import GaussianMixture
doc = json.load(sys.stdin)
d, k, cov = doc['cols'], doc['k'], doc['covariance']
X = np.frombuffer(bytes.fromhex(doc['X']), dtype=np.float32).astype(np.float64).reshape(-1, d)
prec = np.array(doc['precisions'])
prec = prec.reshape(k, d, d) if cov == 'full' else prec.reshape(k, d) if cov == 'diag' else prec
g = GaussianMixture(n_components=k, covariance_type=cov, tol=0, max_iter=doc['iterations'], weights_init=np.array(doc['weights']),
                    means_init=np.array(doc['means']).reshape(k, d), precisions_init=prec)
t = time.perf_counter(); c = time.process_time(); g.fit(X); s = time.perf_counter() - t; cs = time.process_time() - c
print(json.dumps({'seconds': s, 'cpu': cs, 'score': g.score(X)}))
`;

const out: Row[] = [];
for (const covariance of COVARIANCE_TYPES) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const g = await fitGaussianMixture(matrix, { k, covariance, initLabels: km.labels, tol: 0, maxIter: iterations });
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const input = JSON.stringify({
    X: Buffer.from(matrix.data.buffer, matrix.data.byteOffset, matrix.data.byteLength).toString('hex'),
    cols: matrix.cols,
    k,
    covariance,
    iterations,
    weights: Array.from(g.initial.weights),
    means: Array.from(g.initial.means),
    precisions: precisionsFromCholesky(covariance, g.initial.precisionsCholesky, k, matrix.cols),
  });
  const py = spawnSync('/usr/bin/python3', ['-c', SKLEARN], { input, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ref = py.status === 0 ? (JSON.parse(py.stdout) as { seconds: number; cpu: number; score: number }) : null;
  // The fit's wall time includes one final E-step beyond the iterations: count it as one more pass.
  out.push({
    covariance,
    segmentaMsPerIter: wall / (iterations + 1),
    segmentaCpuMsPerIter: (cpu.user + cpu.system) / 1000 / (iterations + 1),
    sklearnMsPerIter: ref ? (1000 * ref.seconds) / (iterations + 1) : null,
    sklearnCpuMsPerIter: ref ? (1000 * ref.cpu) / (iterations + 1) : null,
    meanLogLikelihood: g.meanLogLikelihood,
    sklearnScore: ref?.score ?? null,
  });
}

const f = (v: number | null, digits = 1): string => (v === null ? 'n/a' : v.toFixed(digits));
process.stdout.write(
  [
    `Gaussian mixture EM, ${rows.toLocaleString('en-US')} generated customers × ${features} features (standard-scaled), k = ${k}, ${iterations} iterations from the same K-Means start`,
    '',
    '| covariance | segmenta ms / iteration (wall) | segmenta CPU ms / iteration | scikit-learn ms / iteration (wall) | scikit-learn CPU ms / iteration | mean log-likelihood segmenta | scikit-learn |',
    '|---|---|---|---|---|---|---|',
    ...out.map((r) => `| ${r.covariance} | ${f(r.segmentaMsPerIter)} | ${f(r.segmentaCpuMsPerIter)} | ${f(r.sklearnMsPerIter)} | ${f(r.sklearnCpuMsPerIter)} | ${r.meanLogLikelihood.toFixed(8)} | ${r.sklearnScore === null ? 'n/a' : r.sklearnScore.toFixed(8)} |`),
    '',
  ].join('\n'),
);
