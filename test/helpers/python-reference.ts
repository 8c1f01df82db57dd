/**
 * The optional Python references (scikit-learn, scipy via /usr/bin/python3).
 * CI installs them (.ci/run), so the comparisons run there; where they are
 * absent the tests skip with the reason in their name and on stderr.
 *
 * Each run prints one line to stdout ("scikit-learn reference: <what> …"), so
 * a CI log shows that the comparison really ran, and against which versions.
 *
 * With SEGMENTA_REQUIRE_REFERENCES=1 (.ci/run sets it) a missing reference
 * fails instead of skipping, so CI cannot pass without running them.
 *
 * With SEGMENTA_REFERENCE_CACHE set to a directory (the StrykerJS run does
 * this: it reruns the same test files for every mutant), each script's output
 * is kept there by the hash of the script, and the line says "(cached)".
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';

/** What the reference script produced, or why it could not run. */
export type PythonResult<T> = { value: T; reason?: undefined } | { value?: undefined; reason: string };

let versions: string | null | undefined;

/** "scikit-learn 1.2.1, scipy 1.10.1, numpy 1.24.2", or null when /usr/bin/python3 lacks one of them. */
export function referenceVersions(): string | null {
  if (versions === undefined) {
    const probe = spawnSync(PYTHON, ['-c', 'import sklearn, scipy, numpy; print(f"scikit-learn {sklearn.__version__}, scipy {scipy.__version__}, numpy {numpy.__version__}")'], {
      encoding: 'utf8',
    });
    versions = probe.status === 0 ? probe.stdout.trim() : null;
  }
  return versions;
}

/**
 * Runs `script` (which prints one JSON document) with /usr/bin/python3, with
 * `input` on its stdin, and parses its output. `what` names the comparison in
 * the printed line.
 */
export function runPythonReference<T>(what: string, script: string, input = ''): PythonResult<T> {
  const cacheDir = process.env.SEGMENTA_REFERENCE_CACHE;
  const cacheFile = cacheDir ? join(cacheDir, `${createHash('sha256').update(script).update('\0').update(input).digest('hex')}.json`) : undefined;
  if (cacheFile) {
    try {
      const cached = JSON.parse(readFileSync(cacheFile, 'utf8')) as { versions: string; value: T };
      console.info(`scikit-learn reference: ${what} runs against ${cached.versions} (${PYTHON}, cached in ${cacheDir})`);
      return { value: cached.value };
    } catch {
      // not cached yet
    }
  }
  const v = referenceVersions();
  if (!v) {
    const reason = `skipped: ${PYTHON} lacks scikit-learn/scipy/numpy (apt-get install python3-sklearn python3-scipy; .ci/run does), so ${what} is not checked`;
    if (process.env.SEGMENTA_REQUIRE_REFERENCES === '1') throw new Error(`SEGMENTA_REQUIRE_REFERENCES=1 but ${reason.slice('skipped: '.length)}`);
    console.warn(reason);
    return { reason };
  }
  const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', input, maxBuffer: 1 << 26 });
  if (r.error || r.status !== 0) {
    const reason = `skipped: the ${what} reference script failed: ${(r.stderr || String(r.error)).trim().split('\n').slice(-2).join(' ')}`;
    if (process.env.SEGMENTA_REQUIRE_REFERENCES === '1') throw new Error(`SEGMENTA_REQUIRE_REFERENCES=1 but ${reason.slice('skipped: '.length)}`);
    console.warn(reason);
    return { reason };
  }
  console.info(`scikit-learn reference: ${what} runs against ${v} (${PYTHON})`);
  const value = JSON.parse(r.stdout) as T;
  if (cacheDir && cacheFile) {
    mkdirSync(cacheDir, { recursive: true });
    const temp = `${cacheFile}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify({ versions: v, value }));
    renameSync(temp, cacheFile);
  }
  return { value };
}

/** The suffix a test's name carries when its reference is missing ('' when present). */
export function skipSuffix(result: PythonResult<unknown>): string {
  return result.reason ? ` — ${result.reason}` : '';
}

let hdbscanVersion: string | null | undefined;

/**
 * The Python `hdbscan` package for the HDBSCAN reference checks. Debian does
 * not package it and pip cannot reach PyPI on these machines, so it is usually
 * absent (CI included) and those checks skip with the reason; a built copy can
 * be pointed at with SEGMENTA_HDBSCAN_PYTHONPATH (docs/density.md says how).
 * SEGMENTA_REQUIRE_REFERENCES does not cover it.
 */
export function runHdbscanReference<T>(what: string, script: string, input = ''): PythonResult<T> {
  const env = { ...process.env, ...(process.env.SEGMENTA_HDBSCAN_PYTHONPATH ? { PYTHONPATH: process.env.SEGMENTA_HDBSCAN_PYTHONPATH } : {}) };
  if (hdbscanVersion === undefined) {
    const probe = spawnSync(PYTHON, ['-W', 'ignore', '-c', 'import hdbscan, sklearn; from importlib.metadata import version\ntry:\n  v = version("hdbscan")\nexcept Exception:\n  v = "(built from source)"\nprint(f"hdbscan {v}, scikit-learn {sklearn.__version__}")'], { encoding: 'utf8', env });
    hdbscanVersion = probe.status === 0 ? probe.stdout.trim() : null;
  }
  if (!hdbscanVersion) {
    const reason = `skipped: ${PYTHON} has no 'hdbscan' package (Debian does not package it and pip cannot reach PyPI here; set SEGMENTA_HDBSCAN_PYTHONPATH to a built copy), so ${what} is not checked against it`;
    console.warn(reason);
    return { reason };
  }
  const r = spawnSync(PYTHON, ['-W', 'ignore', '-c', script], { encoding: 'utf8', input, env, maxBuffer: 1 << 26 });
  if (r.error || r.status !== 0) {
    const reason = `skipped: the ${what} reference script failed: ${(r.stderr || String(r.error)).trim().split('\n').slice(-2).join(' ')}`;
    console.warn(reason);
    return { reason };
  }
  console.info(`hdbscan reference: ${what} runs against ${hdbscanVersion} (${PYTHON})`);
  return { value: JSON.parse(r.stdout) as T };
}
