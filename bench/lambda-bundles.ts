/**
 * Bundles each Lambda function as the platform stack does (functions/lib/bundling.ts:
 * esbuild, ESM, minified, the AWS SDK inside, code-split), then prints for each the code
 * a cold start loads (the entry and the chunks it imports statically), everything
 * deployed (with the lazily loaded chunks), the time a fresh `node` process takes to
 * import the entry, and the time to import it and answer a first invocation with a
 * minimal event that needs no AWS call (functions/lib/smoke-events.ts): work moved from
 * the import into the first invocation shows up in that column.
 * Budget (issue 6): ≤ 400 KB minified, ≤ 60 ms import.
 *
 *   node_modules/.bin/node bench/lambda-bundles.ts [--runs N]
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_FUNCTIONS, lambdaEsbuildOptions } from '../functions/lib/bundling.ts';
import {
  matchesSmoke,
  PROBE_SOURCE,
  type ProbeResult,
  SMOKE_ENV,
  SMOKE_EVENTS,
} from '../functions/lib/smoke-events.ts';
import { type Figure, summarize, writeResults } from './lib/stats.ts';
import { fmt, formatTable, verdict } from './lib/table.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BUDGET_KB = 400;
const BUDGET_IMPORT_MS = 60;
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 7;

const outDir = mkdtempSync(join(tmpdir(), 'wharf-lambda-bundles-'));
const probe = join(outDir, 'probe.mjs');
writeFileSync(probe, PROBE_SOURCE);

/**
 * Import (and first call) in a fresh process, measured inside it (process spawn excluded):
 * wall time, and the CPU time used, which a busy machine inflates far less. The CPU time
 * counts every thread: Node 24 reads the CA certificates on a second thread once `tls`
 * loads, so CPU can exceed wall.
 */
function probeOnce(file: string, event: unknown, extraEnv: Record<string, string> = {}): ProbeResult {
  const out = spawnSync(process.execPath, [probe, file, event === undefined ? '' : JSON.stringify(event)], {
    encoding: 'utf8',
    env: { PATH: process.env['PATH'] ?? '', ...SMOKE_ENV, ...extraEnv },
  });
  if (out.status !== 0) throw new Error(`probing ${file} failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as ProbeResult;
}

/** Wall times in ms, with the median CPU time of the same samples beside them. */
function withCpu(name: string, wallMs: number[], cpuMs: number[]): Figure {
  return summarize(name, 'ms', wallMs, { cpuMedianMs: summarize('', 'ms', cpuMs).median });
}

/** The entry and every chunk reachable from it through static imports: what a cold start loads. */
function staticClosure(meta: Metafile, entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const imp of meta.outputs[file]?.imports ?? []) {
      if (imp.kind === 'import-statement' && !imp.external) visit(imp.path);
    }
  };
  visit(entry);
  return [...seen];
}

const kbOf = (files: readonly string[]) => files.reduce((n, f) => n + readFileSync(f).length, 0) / 1024;
const gzKbOf = (files: readonly string[]) =>
  files.reduce((n, f) => n + gzipSync(readFileSync(f)).length, 0) / 1024;

const figures: Figure[] = [];
const rows: string[][] = [];

// What importing nothing costs on this machine now: a loaded machine inflates every figure.
const emptyModule = join(outDir, 'empty.mjs');
writeFileSync(emptyModule, 'export {};\n');
const base = Array.from({ length: RUNS }, () => probeOnce(emptyModule, undefined));
const baseline = withCpu(
  'baseline: import of an empty module',
  base.map((t) => t.importMs),
  base.map((t) => t.importCpuMs),
);
figures.push(baseline);
rows.push([
  '(empty module)',
  '0.0',
  '0.0',
  '0.0',
  '',
  fmt(baseline.median, 1),
  fmt(baseline.p95, 1),
  fmt(baseline['cpuMedianMs'] as number, 1),
  '',
  '',
  '',
]);
for (const fn of LAMBDA_FUNCTIONS) {
  const dir = join(outDir, fn);
  const entryPath = join(ROOT, 'functions', `${fn}.ts`);
  const result = await build({
    ...lambdaEsbuildOptions(),
    entryPoints: { [fn]: entryPath },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    metafile: true,
    logLevel: 'error',
  });
  const meta = result.metafile;
  const cwd = process.cwd();
  // Chunks loaded by import() are entry points too: the function's own is the one built from its file.
  const entry = Object.keys(meta.outputs).find((f) => {
    const from = meta.outputs[f]?.entryPoint;
    return from !== undefined && resolve(cwd, from) === entryPath;
  });
  if (!entry) throw new Error(`esbuild wrote no output for ${entryPath}`);
  const coldFiles = staticClosure(meta, entry).map((f) => resolve(cwd, f));
  const allFiles = Object.keys(meta.outputs)
    .filter((f) => !f.endsWith('.map'))
    .map((f) => resolve(cwd, f));
  const kb = kbOf(coldFiles);
  const totalKb = kbOf(allFiles);
  const gzKb = gzKbOf(coldFiles);
  const smoke = SMOKE_EVENTS[fn];
  const samples = Array.from({ length: RUNS }, () => probeOnce(resolve(cwd, entry), smoke.event));
  const wrong = samples.find((s) => !matchesSmoke(s.result, smoke.expect));
  if (wrong) {
    throw new Error(
      `${fn} answered ${JSON.stringify(wrong.result).slice(0, 300)} to "${smoke.what}"; expected ${JSON.stringify(smoke.expect)}`,
    );
  }
  const cpu = summarize(
    `${fn}: CPU time of the import`,
    'ms',
    samples.map((t) => t.importCpuMs),
  );
  const imp = summarize(
    `${fn}: import in a fresh node`,
    'ms',
    samples.map((t) => t.importMs),
    { target: `≤ ${BUDGET_IMPORT_MS} ms`, cpuMedianMs: cpu.median },
  );
  const firstCall = withCpu(
    `${fn}: import + first call (${smoke.what})`,
    samples.map((t) => t.firstCallMs),
    samples.map((t) => t.firstCallCpuMs),
  );
  const sizeVerdict = verdict(kb, BUDGET_KB, 'lower');
  const importVerdict = verdict(imp.median, BUDGET_IMPORT_MS, 'lower');
  figures.push(
    summarize(`${fn}: code loaded at cold start (minified)`, 'KB', [kb], {
      target: `≤ ${BUDGET_KB} KB`,
      verdict: sizeVerdict,
      gzipKb: gzKb,
      deployedKb: totalKb,
    }),
    { ...imp, verdict: importVerdict },
    cpu,
    firstCall,
  );
  rows.push([
    fn,
    fmt(kb, 1),
    fmt(gzKb, 1),
    fmt(totalKb, 1),
    sizeVerdict,
    fmt(imp.median, 1),
    fmt(imp.p95, 1),
    fmt(cpu.median, 1),
    importVerdict,
    fmt(firstCall.median, 1),
    fmt(firstCall['cpuMedianMs'] as number, 1),
  ]);
}

// The cold start that matters includes the first real call. Every function reads DynamoDB
// first: time import + a first call that does (the API's `GET /apps`, a Query) against a
// local answerer, next to a bundle holding nothing but the SDK's DocumentClient making the
// same Query: the baseline, what the SDK alone costs for it. TLS is left out of both.
const answerer = spawn(
  process.execPath,
  [
    '-e',
    `const s = require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }); res.end('{"Items":[],"Count":0}'); }); });
     s.listen(0, '127.0.0.1', () => console.log(s.address().port));`,
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const answererPort = await new Promise<string>((done) =>
  answerer.stdout.once('data', (d: Buffer) => done(d.toString().trim())),
);
const readEnv = { AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${answererPort}` };
const sdkEntry = join(outDir, 'sdk-query.mjs');
writeFileSync(
  sdkEntry,
  `import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
export const handler = async () => {
  const out = await doc.send(new QueryCommand({ TableName: 'wharf-state', KeyConditionExpression: 'pk = :p', ExpressionAttributeValues: { ':p': 'APPS' } }));
  return { statusCode: 200, count: out.Count };
};
`,
);
const sdkOut = join(outDir, 'sdk-query');
await build({
  ...lambdaEsbuildOptions(),
  entryPoints: { 'sdk-query': sdkEntry },
  nodePaths: [join(ROOT, 'node_modules')],
  outdir: sdkOut,
  outExtension: { '.js': '.mjs' },
  logLevel: 'error',
});
const apiEntry = join(outDir, 'api', 'api.mjs');
const listApps = {
  ...(SMOKE_EVENTS.api.event as object),
  rawPath: '/apps',
  requestContext: { http: { method: 'GET', path: '/apps' } },
};
const readRows: string[][] = [];
for (const [what, file, event] of [
  ['SDK DocumentClient alone, one Query (baseline)', join(sdkOut, 'sdk-query.mjs'), {}],
  ['api function, GET /apps (one Query)', apiEntry, listApps],
] as const) {
  const samples = Array.from({ length: RUNS }, () => probeOnce(file, event, readEnv));
  const wrong = samples.find((t) => !matchesSmoke(t.result, { statusCode: 200 }));
  if (wrong)
    throw new Error(`${what} answered ${JSON.stringify(wrong.result).slice(0, 300)}; expected a 200`);
  const imp = summarize(
    `${what}: import`,
    'ms',
    samples.map((t) => t.importMs),
  );
  const call = withCpu(
    `${what}: import + first call reading DynamoDB`,
    samples.map((t) => t.firstCallMs),
    samples.map((t) => t.firstCallCpuMs),
  );
  figures.push(imp, call);
  readRows.push([
    what,
    fmt(imp.median, 1),
    fmt(call.median, 1),
    fmt(call.p95, 1),
    fmt(call['cpuMedianMs'] as number, 1),
  ]);
}
answerer.kill();

process.stdout.write(
  `\nLambda bundles (esbuild ESM, minified, AWS SDK inside, code-split; timed over ${RUNS} fresh processes; load average ${fmt(loadavg()[0]!)})\n\n`,
);
process.stdout.write(
  formatTable(
    [
      'function',
      'cold KB',
      'gzip KB',
      'deployed KB',
      `≤ ${BUDGET_KB} KB`,
      'import median ms',
      'p95 ms',
      'CPU median ms',
      `≤ ${BUDGET_IMPORT_MS} ms`,
      '+ first call ms',
      'CPU ms',
    ],
    rows,
  ) + '\n',
);
process.stdout.write(
  `\nfirst call (offline, no AWS request): ${LAMBDA_FUNCTIONS.map((fn) => `${fn}: ${SMOKE_EVENTS[fn].what}`).join('; ')}\n`,
);
process.stdout.write(
  `\nfirst call that reads DynamoDB (a local HTTP answerer, no TLS; ${RUNS} fresh processes each)\n\n${formatTable(
    ['bundle', 'import median ms', '+ first call ms', 'p95 ms', 'CPU ms'],
    readRows,
  )}\n`,
);
const missed = figures.filter((f) => f['verdict'] === 'MISSED');
if (missed.length > 0) process.stdout.write(`MISSED: ${missed.map((f) => f.name).join('; ')}\n`);
process.stdout.write(`figures written to ${writeResults('lambda-bundles', figures)}\n`);
