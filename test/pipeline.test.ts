/**
 * The pipeline: `segmentCustomers(spec)` from the outside — validation of the
 * JSON spec (every problem, naming its field), the one rule for k, the one
 * numbering (labels, model, profiles agree), progress and cancellation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import type { ProgressEvent } from '../src/common/progress.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { chooseK } from '../src/pipeline/choose-k.js';
import { segmentCustomers } from '../src/pipeline/segment-customers.js';
import { segmentationSpecSchema, type SegmentationSpec } from '../src/pipeline/spec.js';
import { validateSpec } from '../src/pipeline/validate-spec.js';
import { numberSegments } from '../src/results/segment-numbering.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';
import { tempDir } from './helpers/temp-dir.js';

const dir = tempDir('segmenta-pipeline-');

function problemsOf(spec: unknown): { field: string; message: string }[] {
  try {
    validateSpec(spec);
  } catch (error) {
    expect(error).toMatchObject({ code: 'INVALID_SPEC' });
    return (error as { details: { problems: { field: string; message: string }[] } }).details.problems;
  }
  throw new Error('validateSpec accepted the spec');
}

describe('validateSpec', () => {
  it('fills in the defaults of a minimal spec', () => {
    const spec = validateSpec({ data: { path: 'customers.csv' }, features: [INCOME, SCORE] });
    expect(spec).toMatchObject({
      k: 'auto',
      kRange: { min: 1, max: 10 },
      kMethod: 'all',
      kSelection: { silhouetteSampleSize: 10_000, silhouetteExact: false, gapReferences: 10 },
      method: 'kmeans',
      scale: 'none',
      keep: 'auto',
      seed: 0,
      backend: 'auto',
      sweep: true,
      fit: true,
      profiles: true,
      dendrogram: false,
      kmeans: { nInit: 3, maxIter: 300, tol: 1e-4 },
      outputs: { keepColumns: false, scatterSample: 5000 },
    });
    // A resolved spec is itself a valid spec (what a queue stores and a worker runs).
    expect(validateSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
  });

  it('reports every problem, one sentence each naming the field and the value', () => {
    const problems = problemsOf({
      data: { path: '' },
      features: [],
      scale: 'log',
      k: 0,
      kmeans: { nInit: 0, tol: -1 },
      fetaures: ['Age'],
      outputs: { scatter: ['a'] },
    });
    expect(problems).toEqual([
      { field: 'spec.data.path', message: "spec.data.path must be a non-empty string, got ''" },
      { field: 'spec.features', message: 'spec.features must be a list of at least one names, got 0 items' },
      { field: 'spec.scale', message: "spec.scale must be one of 'none', 'standard', 'minmax', got 'log'" },
      { field: 'spec.k', message: "spec.k must be an integer >= 1 or 'auto', got 0" },
      { field: 'spec.kmeans.nInit', message: 'spec.kmeans.nInit must be an integer from 1 to 10,000, got 0' },
      { field: 'spec.kmeans.tol', message: 'spec.kmeans.tol must be a number >= 0, got -1' },
      { field: 'spec.fetaures', message: expect.stringMatching(/^spec\.fetaures is not a known field; known fields: data, features, /) },
      { field: 'spec.outputs.scatter', message: 'spec.outputs.scatter must be a list of 2 names, got 1 item' },
    ]);
  });

  it('names a missing field, a wrong type and the rules between fields', () => {
    expect(problemsOf({ features: ['A'] })).toEqual([{ field: 'spec.data', message: "spec.data is required: an object with 'path' or an object with 'generate'" }]);
    expect(problemsOf({ data: { path: 'x.csv' }, features: 'A,B' })).toEqual([{ field: 'spec.features', message: 'spec.features must be a list of at least one names, got \'A,B\'' }]);
    expect(problemsOf({ data: { generate: { rows: 5 } }, features: ['A'] })).toEqual([
      { field: 'spec.data.generate.rows', message: 'spec.data.generate.rows must be an integer from 10 to 100,000,000, got 5' },
    ]);
    expect(problemsOf('not an object')).toEqual([{ field: 'spec', message: "spec must be an object with 'data' and 'features', got 'not an object'" }]);
    expect(problemsOf({ data: { path: 'x.csv' }, features: ['A', 'A'], kRange: { min: 6, max: 3 }, sweep: false, outputs: { keepColumns: true } })).toEqual([
      { field: 'spec.kRange', message: 'spec.kRange must have min <= max, got min 6 and max 3' },
      { field: 'spec.sweep', message: 'spec.sweep is false, so k cannot be chosen from the sweep: give a number of segments in spec.k' },
      { field: 'spec.outputs.keepColumns', message: 'spec.outputs.keepColumns needs spec.outputs.labels, the labels file that carries the columns' },
      { field: 'spec.features', message: "spec.features lists 'A' twice" },
    ]);
  });

  it('throws one INVALID_SPEC error whose message lists the problems on one line', () => {
    expect(() => validateSpec({ data: { path: 'x.csv' }, features: ['A'], seed: -1, threads: 0 })).toThrow(
      'invalid segmentation spec (2 problems): spec.seed must be an integer from 0 to 4,294,967,295, got -1; spec.threads must be an integer from 1 to 256, got 0',
    );
  });

  it('exports a JSON Schema that is plain JSON and lists every spec field', () => {
    const schema = JSON.parse(JSON.stringify(segmentationSpecSchema));
    expect(schema).toEqual(segmentationSpecSchema);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const resolved = validateSpec({ data: { path: 'x.csv' }, features: ['A'] });
    expect(Object.keys(schema.properties).sort()).toEqual(expect.arrayContaining(Object.keys(resolved).sort()));
    expect(schema.required).toEqual(['data', 'features']);
  });
});

describe('chooseK: the one rule for k', () => {
  const selection = (suggestedK: number | null, reason: string) =>
    ({ curves: { ks: [1, 2, 3, 4] }, sweep: { wcss: [9, 3, 2, 1.5] }, choice: { suggestedK, reason } }) as never;
  it('takes a given k, the methods\' suggestion otherwise, and says why', () => {
    expect(chooseK({ k: 4, method: 'all' })).toEqual({ k: 4, by: 'given', reason: 'k = 4 given' });
    expect(chooseK({ k: 'auto', method: 'all', selection: selection(2, 'The WCSS elbow is at k = 2 …') })).toEqual({ k: 2, by: 'all', reason: 'The WCSS elbow is at k = 2 …' });
  });
  it('without a suggestion: INVALID_K before a fit (never a silent default), null for a sweep only', () => {
    expect(() => chooseK({ k: 'auto', method: 'gap', selection: selection(null, 'no method gives a k on k = 1..4') })).toThrow(
      /no method \(gap\) chooses k on the sweep k = 1\.\.4: no method gives a k on k = 1\.\.4; choose the number of segments .*WCSS: 9\.000, 3\.000/,
    );
    expect(chooseK({ k: 'auto', method: 'gap', selection: selection(null, 'none'), required: false })).toMatchObject({ k: null });
  });
});

describe.skipIf(!HAVE_MALL)(`segmentCustomers on Mall ${HAVE_MALL ? '' : MALL_SKIP_REASON}`, () => {
  const spec: SegmentationSpec = { data: { path: MALL_CSV }, features: [INCOME, SCORE], scale: 'standard', seed: 42, backend: 'js' };

  it('sweeps, chooses k at the elbow, fits, numbers by size and profiles; labels, model and profiles agree', async () => {
    const events: ProgressEvent[] = [];
    const r = await segmentCustomers({ ...spec, outputs: { labels: join(dir, 'labels.csv') } }, { onProgress: (e) => events.push(e) });
    expect(r.kChoice).toMatchObject({ k: 5, by: 'all', reason: expect.stringMatching(/^The WCSS elbow is at k = 5/) });
    expect(r.selection!.choice.byMethod.silhouette?.k).toBe(5);
    expect(r.k).toBe(5);
    expect(r.sizes).toEqual([81, 39, 35, 23, 22]);
    // The same partition as the driver's own fit, renumbered by the rule.
    const direct = await fitKMeans(r.prepared.matrix, { k: 5, seed: 42, backend: 'js' });
    expect(r.labels).toEqual(numberSegments(direct.labels, 5, r.prepared.matrix).labels);
    expect(r.profiles!.segments.map((s) => s.size)).toEqual(r.sizes);
    expect(Array.from(r.profiles!.labels)).toEqual(Array.from(r.labels!));
    // The model predicts the same numbers for the same customers, from original units.
    expect(r.model!.predict(r.table.matrix)).toEqual(r.labels);
    expect(r.centroids![0]![0]).toBeCloseTo(55.3, 1);
    // Gender and Age were profiled (keep 'auto').
    expect(r.profiled).toEqual(['Gender', 'Age']);
    // The labels file is the same numbering.
    const lines = readFileSync(join(dir, 'labels.csv'), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('CustomerID,segment');
    expect(lines.slice(1).map((l) => Number(l.split(',')[1]))).toEqual(Array.from(r.labels!));
    expect(r.written).toEqual([join(dir, 'labels.csv')]);
    const kinds = new Set(events.map((e) => (e.kind === 'phase' ? `phase:${e.phase}` : e.kind)));
    expect([...kinds]).toEqual(expect.arrayContaining(['phase:read', 'sweep-k', 'iteration', 'fit']));
  });

  it('a sweep-only job (fit: false) returns the curve and the suggested k, writes nothing', async () => {
    const r = await segmentCustomers({ ...spec, fit: false, profiles: false });
    expect(r.sweep!.ks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(r.k).toBe(5);
    expect(r.labels).toBeUndefined();
    expect(r.written).toEqual([]);
  });

  it('reports reader errors with their code, and spec errors before reading', async () => {
    await expect(segmentCustomers({ ...spec, features: ['Income'] })).rejects.toMatchObject({ code: 'UNKNOWN_COLUMN' });
    await expect(segmentCustomers({ ...spec, k: 2.5 } as never)).rejects.toMatchObject({ code: 'INVALID_SPEC', message: "invalid segmentation spec: spec.k must be an integer >= 1 or 'auto', got 2.5" });
  });
});

describe('segmentCustomers cancellation and generated data', () => {
  it('aborts from a timer with ABORTED and leaves no generated file behind', async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('stop')), 300);
    const started = performance.now();
    await expect(
      segmentCustomers(
        { data: { generate: { rows: 400_000, seed: 3 } }, features: [INCOME, SCORE], scale: 'standard', kRange: { min: 1, max: 10 }, backend: 'js', kmeans: { nInit: 10 } },
        { signal: controller.signal },
      ),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    clearTimeout(timer);
    // Generous: the whole job takes far longer than this on 2 shared cores.
    expect(performance.now() - started).toBeLessThan(20_000);
  });

  it('runs on generated customers and names them as the source', async () => {
    const r = await segmentCustomers({ data: { generate: { rows: 1000, seed: 5 } }, features: [INCOME, SCORE], scale: 'standard', k: 4, sweep: false, backend: 'js' });
    expect(r.table.rows).toBe(1000);
    expect(r.sizes!.reduce((a, b) => a + b, 0)).toBe(1000);
    expect([...r.sizes!]).toEqual([...r.sizes!].sort((a, b) => b - a));
  });
});
