/**
 * Every function bundled as it ships (lambdaEsbuildOptions) loads in a fresh Node process,
 * exports `handler`, and answers a minimal event that needs no AWS call. Catches what the
 * source-level tests cannot: a chunk that fails to evaluate, a `require` of a builtin that
 * ESM has no shim for, an alias that no longer resolves, a lazy import whose chunk is lost.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { LAMBDA_FUNCTIONS, lambdaEsbuildOptions } from '../../functions/lib/bundling.ts';
import { PROBE_SOURCE, type ProbeResult, SMOKE_ENV, SMOKE_EVENTS } from '../../functions/lib/smoke-events.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(ROOT, 'node_modules/.bin/node');
const dir = mkdtempSync(join(tmpdir(), 'wharf-lambda-bundle-test-'));
const probe = join(dir, 'probe.mjs');
writeFileSync(probe, PROBE_SOURCE);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bundle(fn: string): Promise<string> {
  const outdir = join(dir, fn);
  const result = await build({
    ...lambdaEsbuildOptions(),
    entryPoints: { index: join(ROOT, 'functions', `${fn}.ts`) },
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent',
  });
  expect(result.errors).toEqual([]);
  return join(outdir, 'index.mjs');
}

function runProbe(entry: string, event: unknown): Promise<ProbeResult> {
  return new Promise((resolvePromise, reject) => {
    // No AWS credentials or endpoints of the machine's own: the probe must not need the network.
    const child = spawn(NODE, [probe, entry, JSON.stringify(event)], {
      env: { PATH: process.env['PATH'] ?? '', ...SMOKE_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`the probe of ${entry} exited ${code}: ${err}`));
      else resolvePromise(JSON.parse(out) as ProbeResult);
    });
  });
}

describe('Lambda bundles', () => {
  for (const fn of LAMBDA_FUNCTIONS) {
    it(`${fn}: the bundle imports in a fresh node, exports handler and answers "${SMOKE_EVENTS[fn].what}"`, async () => {
      const entry = await bundle(fn);
      const res = await runProbe(entry, SMOKE_EVENTS[fn].event);
      expect(res.exportsHandler).toBe(true);
      expect(res.result).toMatchObject(SMOKE_EVENTS[fn].expect);
    }, 60_000);
  }
});
