#!/usr/bin/env node
/**
 * Runs one buildpack build (the same runner the local platform uses) and writes a JSON result
 * file; CodeBuild's buildspec calls this. Output goes to stdout as it happens; the exit status
 * is 0 on success, 1 when the build failed, 2 on bad arguments.
 *
 *   wharf-build --app NAME --source DIR --slug FILE --cache DIR --buildpack-cache DIR
 *               [--source-version SHA] [--env-file FILE] [--buildpack REF]... [--work DIR]
 *               [--result FILE] [--request-id ID] [--stack NAME] [--max-source-bytes N]
 *               [--vendor-runtime]
 *
 * --vendor-runtime: the slug becomes an image on a run image without language runtimes, so
 * built-in buildpacks copy theirs into it (WHARF_VENDOR_RUNTIME=1 in ENV_DIR, where buildpacks
 * read config; the Node.js built-in vendors node into .heroku/node). Local builds run on the
 * build machine, which has the runtime, and leave it out to keep slugs small.
 */
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BuildError, type RunBuildOptions, runBuild } from '../runner/index.ts';

const USAGE =
  'usage: wharf-build --app NAME --source DIR --slug FILE --cache DIR --buildpack-cache DIR [--source-version SHA] [--env-file FILE] [--buildpack REF]... [--work DIR] [--result FILE] [--request-id ID] [--stack NAME] [--max-source-bytes N] [--vendor-runtime]';

/** The config var that asks built-in buildpacks to copy their runtime into the slug. */
export const VENDOR_RUNTIME_VAR = 'WHARF_VENDOR_RUNTIME';

/** KEY=VALUE lines (blank and `#` lines skipped), or a JSON object when the file is `.json`. */
export function parseEnvFile(file: string): Record<string, string> {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.json')) {
    const obj = JSON.parse(text) as Record<string, unknown>;
    return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, String(v)]));
  }
  const env: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const i = line.indexOf('=');
    if (i <= 0) throw new Error(`env file ${file}: line "${line}" is not KEY=VALUE`);
    env[line.slice(0, i).trim()] = line.slice(i + 1);
  }
  return env;
}

async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const missing = ['app', 'source', 'slug', 'cache', 'buildpack-cache'].filter(
    (k) => !values[k as keyof typeof values],
  );
  if (missing.length > 0) {
    process.stderr.write(`missing --${missing.join(', --')}\n${USAGE}\n`);
    return 2;
  }
  const controller = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => controller.abort(new Error(sig)));
  const opts: RunBuildOptions = {
    app: values.app!,
    sourceDir: path.resolve(values.source!),
    sourceVersion: values['source-version'] ?? 'unknown',
    requestId: values['request-id'] ?? process.env.CODEBUILD_BUILD_ID ?? `local-${Date.now()}`,
    env: {
      ...(values['env-file'] ? parseEnvFile(values['env-file']) : {}),
      ...(values['vendor-runtime'] ? { [VENDOR_RUNTIME_VAR]: '1' } : {}),
    },
    cacheDir: path.resolve(values.cache!),
    buildpackCacheDir: path.resolve(values['buildpack-cache']!),
    workDir: values.work ? path.resolve(values.work) : await mkdtemp(path.join(tmpdir(), 'wharf-build-')),
    slugPath: path.resolve(values.slug!),
    output: (line) => process.stdout.write(`${line}\n`),
    signal: controller.signal,
    ...(values.buildpack && values.buildpack.length > 0 ? { buildpacks: values.buildpack } : {}),
    ...(values.stack ? { stack: values.stack } : {}),
    ...(values['max-source-bytes'] ? { maxSourceBytes: Number(values['max-source-bytes']) } : {}),
  };
  const writeResult = (result: unknown) => {
    if (values.result) writeFileSync(values.result, `${JSON.stringify(result, null, 2)}\n`);
  };
  try {
    const result = await runBuild(opts);
    writeResult({ ok: true, ...result });
    return 0;
  } catch (e) {
    const err = e instanceof BuildError ? e : new BuildError('compile', String(e));
    writeResult({ ok: false, error: err.message, phase: err.phase, buildpack: err.buildpack });
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      app: { type: 'string' },
      source: { type: 'string' },
      slug: { type: 'string' },
      cache: { type: 'string' },
      'buildpack-cache': { type: 'string' },
      'source-version': { type: 'string' },
      'env-file': { type: 'string' },
      buildpack: { type: 'string', multiple: true },
      work: { type: 'string' },
      result: { type: 'string' },
      'request-id': { type: 'string' },
      stack: { type: 'string' },
      'max-source-bytes': { type: 'string' },
      'vendor-runtime': { type: 'boolean' },
    },
    strict: true,
  });
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
