/**
 * Saved models: the versioned JSON format (schema, round trip, unknown
 * versions rejected), predict on matrices, customer objects and tables, and
 * the CLI's kmeans --save-model → predict giving the fit's labels byte for byte.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import '../src/backends/built-in-backends.js';
import { matrixFromRows } from '../src/common/matrix.js';
import { fitKMeans } from '../src/drivers/kmeans.js';
import { readCustomerTable } from '../src/data-in/read-customer-table.js';
import { prepareFeatures } from '../src/preparation/prepare-features.js';
import { KMEANS_MODEL_SCHEMA, KMeansModel, loadModel, saveModel } from '../src/results/kmeans-model.js';
import { CLI, runCli } from './helpers/cli-process.js';
import { HAVE_MALL, INCOME, MALL_CSV, MALL_SKIP_REASON, SCORE } from './helpers/mall-data.js';
import { customersFile, tempDir, writeCsv } from './helpers/temp-dir.js';

const segmenta = runCli;

const dir = tempDir('segmenta-model-');
const customers = customersFile(dir, 'customers.csv', { rows: 2000, seed: 11 });

async function fittedModel(): Promise<{ model: KMeansModel; labels: Int32Array; rows: Record<string, unknown>[] }> {
  const table = await readCustomerTable(customers, { features: ['Age', INCOME, SCORE, 'Gender'], encode: ['Gender'], keep: ['Gender'] });
  const rows: Record<string, unknown>[] = [];
  const gender = table.kept['Gender'] as string[];
  for (let i = 0; i < table.rows; i++) {
    const r: Record<string, unknown> = { Gender: gender[i] };
    for (const [j, name] of ['Age', INCOME, SCORE].entries()) r[name] = table.matrix.data[i * table.matrix.cols + j];
    rows.push(r);
  }
  const prepared = prepareFeatures(table, { scale: 'standard' });
  const fit = await fitKMeans(prepared.matrix, { k: 4, seed: 5, backend: 'js' });
  const model = new KMeansModel(fit, prepared.scaler, { columns: prepared.featureNames, levels: table.levels, segmentNames: ['a', 'b', 'c', 'd'], training: { seed: 5 } });
  return { model, labels: fit.labels, rows };
}

describe('KMeansModel JSON', () => {
  it('toJSON follows the JSON Schema and records features, encodings, scaler, both centroid units, segments and training', async () => {
    const { model } = await fittedModel();
    const json = JSON.parse(JSON.stringify(model));
    const validate = new Ajv2020({ strict: false }).compile(KMEANS_MODEL_SCHEMA);
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(json.features).toEqual([
      { name: 'Age', kind: 'numeric' },
      { name: INCOME, kind: 'numeric' },
      { name: SCORE, kind: 'numeric' },
      { name: 'Gender', kind: 'categorical', levels: ['Female', 'Male'] },
    ]);
    expect(json.columns).toEqual(['Age', INCOME, SCORE, 'Gender=Female', 'Gender=Male']);
    expect(json.scaler.method).toBe('standard');
    expect(json.centroids.scaled).toHaveLength(4);
    // original units: income in k$, not z-scores
    for (const row of json.centroids.original) expect(row[1]).toBeGreaterThan(5);
    expect(json.segments.map((s: { name: string }) => s.name)).toEqual(['a', 'b', 'c', 'd']);
    expect(json.segments.reduce((a: number, s: { size: number }) => a + s.size, 0)).toBe(2000);
    expect(json.training).toMatchObject({ rows: 2000, seed: 5, backend: 'js' });
    // a broken document fails the schema too
    expect(validate({ ...json, formatVersion: 3 })).toBe(false);
  });

  it('fromJSON(toJSON) predicts exactly as the original; saveModel/loadModel round-trips through a file', async () => {
    const { model, labels, rows } = await fittedModel();
    const again = KMeansModel.fromJSON(JSON.parse(JSON.stringify(model)));
    expect(again.predict(rows)).toEqual(labels);
    const path = join(dir, 'model.json');
    await saveModel(path, model);
    const loaded = await loadModel(path);
    expect(loaded.predict(rows)).toEqual(labels);
    expect(JSON.stringify(loaded)).toBe(JSON.stringify(model));
  });

  it('rejects an unknown format version, another format and inconsistent fields with INVALID_MODEL naming the problem', async () => {
    const { model } = await fittedModel();
    const json = model.toJSON();
    expect(() => KMeansModel.fromJSON({ ...json, formatVersion: 3 })).toThrow(/format version 3 is not supported; this segmenta reads versions 1 and 2/);
    expect(() => KMeansModel.fromJSON({ ...json, format: 'other' })).toThrow(expect.objectContaining({ code: 'INVALID_MODEL' }));
    expect(() => KMeansModel.fromJSON({ ...json, k: 3 })).toThrow(/centroids.scaled must be 3 rows of 5 finite numbers/);
    expect(() => KMeansModel.fromJSON({ ...json, columns: ['Age'] })).toThrow(/features expand to/);
    const path = join(dir, 'bad.json');
    writeFileSync(path, '{"format": "segmenta.kmeans-model", ');
    await expect(loadModel(path)).rejects.toThrow(/model '.*bad\.json' is not JSON/);
    await expect(loadModel(join(dir, 'none.json'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND' });
  });
});

describe('KMeansModel format version 2: sample weights', () => {
  it('a weighted model is written as version 2 with training.sampleWeight, follows the schema and round-trips; an unweighted one stays version 1', async () => {
    const { model } = await fittedModel();
    const v1 = JSON.parse(JSON.stringify(model));
    const weighted = new KMeansModel(model.result, model.scaler, { columns: [...model.columns], levels: { Gender: ['Female', 'Male'] }, training: { seed: 5, sampleWeight: { column: 'Visits', total: 5123 } } });
    const v2 = JSON.parse(JSON.stringify(weighted));
    const validate = new Ajv2020({ strict: false }).compile(KMEANS_MODEL_SCHEMA);
    expect(v1.formatVersion).toBe(1);
    expect(v1.training.sampleWeight).toBeUndefined();
    expect(v2.formatVersion).toBe(2);
    expect(v2.training.sampleWeight).toEqual({ column: 'Visits', total: 5123 });
    expect(validate(v1), JSON.stringify(validate.errors)).toBe(true);
    expect(validate(v2), JSON.stringify(validate.errors)).toBe(true);
    const again = KMeansModel.fromJSON(v2);
    expect(again.training.sampleWeight).toEqual({ column: 'Visits', total: 5123 });
    expect(JSON.stringify(again)).toBe(JSON.stringify(weighted));
    // The version and the weights go together.
    expect(validate({ ...v1, training: v2.training })).toBe(false);
    expect(validate({ ...v2, training: v1.training })).toBe(false);
    expect(() => KMeansModel.fromJSON({ ...v1, training: v2.training })).toThrow(/training.sampleWeight needs format version 2/);
    expect(() => KMeansModel.fromJSON({ ...v2, training: v1.training })).toThrow(/format version 2: training.sampleWeight must hold total/);
  });
});

describe('KMeansModel.predict', () => {
  it('customer objects, the one-customer fast path and a matrix agree with the fit labels', async () => {
    const { model, labels, rows } = await fittedModel();
    expect(model.predict(rows)).toEqual(labels);
    for (let i = 0; i < 200; i++) expect(model.predictOne(rows[i]!)).toBe(labels[i]);
    const m = matrixFromRows(rows.map((r) => [r['Age'] as number, r[INCOME] as number, r[SCORE] as number, r['Gender'] === 'Female' ? 1 : 0, r['Gender'] === 'Male' ? 1 : 0]));
    expect(model.predict(m)).toEqual(labels);
  });

  it('bad customers get one clear error naming the column', async () => {
    const { model, rows } = await fittedModel();
    const one = rows[0]!;
    expect(() => model.predictOne({ ...one, Age: undefined })).toThrow(expect.objectContaining({ code: 'MISSING_VALUE', message: "column 'Age' is missing" }));
    expect(() => model.predictOne({ ...one, Age: 'old' })).toThrow(/column 'Age': "old" is not a number/);
    expect(() => model.predictOne({ ...one, Age: Infinity })).toThrow(expect.objectContaining({ code: 'NON_FINITE_VALUE' }));
    expect(() => model.predictOne({ ...one, Gender: 'Other' })).toThrow(/column 'Gender': level 'Other' was not in the training data \(the model knows 'Female', 'Male'\)/);
    expect(() => model.predict([one, { ...one, Gender: 'X' }])).toThrow(/^row 2: column 'Gender'/);
    // numeric strings are accepted as numbers
    expect(model.predictOne({ ...one, Age: String(one['Age']) })).toBe(model.predictOne(one));
  });

  it('predictTable matches levels by name: a file with fewer levels works, an unseen level names its row', async () => {
    const { model } = await fittedModel();
    const onlyMale = writeCsv(dir, 'male.csv', `CustomerID,Gender,Age,${INCOME},${SCORE}\n1,Male,30,70,80\n2,Male,50,20,10\n`);
    const t = await readCustomerTable(onlyMale, { features: model.sourceFeatures(), encode: model.encodedFeatures() });
    const got = model.predictTable(t);
    expect(Array.from(got)).toEqual([
      model.predictOne({ Gender: 'Male', Age: 30, [INCOME]: 70, [SCORE]: 80 }),
      model.predictOne({ Gender: 'Male', Age: 50, [INCOME]: 20, [SCORE]: 10 }),
    ]);
    const other = writeCsv(dir, 'other.csv', `CustomerID,Gender,Age,${INCOME},${SCORE}\n1,Male,30,70,80\n2,Robot,50,20,10\n`);
    const t2 = await readCustomerTable(other, { features: model.sourceFeatures(), encode: model.encodedFeatures() });
    expect(() => model.predictTable(t2)).toThrow(/row 2: column 'Gender': level 'Robot' was not in the training data/);
  });
});

describe.skipIf(!existsSync(CLI))('segmenta kmeans --save-model, then segmenta predict', () => {
  it.skipIf(!HAVE_MALL)('on Mall: predict writes labels byte-identical to kmeans --out; --json gives {rows, k, sizes}', () => {
    if (!HAVE_MALL) console.warn(MALL_SKIP_REASON);
    const fitted = join(dir, 'fit-labels.csv');
    const predicted = join(dir, 'predicted.csv');
    const model = join(dir, 'mall-model.json');
    const features = `${INCOME},${SCORE},Gender`;
    const fit = segmenta('kmeans', MALL_CSV, '--features', features, '--encode', 'Gender', '--scale', 'standard', '--k', '5', '--seed', '42', '--out', fitted, '--save-model', model, '--json');
    expect(fit.stderr).toBe('');
    expect(fit.code).toBe(0);
    expect(JSON.parse(fit.stdout).model).toBe(model);
    const saved = JSON.parse(readFileSync(model, 'utf8'));
    expect(saved).toMatchObject({ format: 'segmenta.kmeans-model', formatVersion: 1, k: 5, training: { rows: 200, seed: 42, idColumn: 'CustomerID' } });
    const p = segmenta('predict', model, MALL_CSV, '--out', predicted);
    expect(p.stderr).toBe('');
    expect(p.code).toBe(0);
    expect(readFileSync(predicted)).toEqual(readFileSync(fitted));
    const j = segmenta('predict', model, MALL_CSV, '--json');
    expect(j.code).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc).toEqual({ rows: 200, k: 5, sizes: saved.segments.map((s: { size: number }) => s.size) });
    // without --out the labels go to stdout, same bytes
    expect(segmenta('predict', model, MALL_CSV).stdout).toBe(readFileSync(fitted, 'utf8'));
  });

  it('a model of an unknown version: one error line, exit 2', () => {
    const bad = join(dir, 'v9.json');
    writeFileSync(bad, JSON.stringify({ format: 'segmenta.kmeans-model', formatVersion: 9 }));
    const r = segmenta('predict', bad, customers);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^segmenta: error: model '.*v9\.json': format version 9 is not supported; this segmenta reads versions 1 and 2\n$/);
  });
});
