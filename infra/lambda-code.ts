/**
 * The functions' code, bundled with the esbuild options the bundle bench measures
 * (functions/lib/bundling.ts: ESM, minified, the AWS SDK inside, code split), so that what
 * is measured is what ships. NodejsFunction cannot do this: it always passes `--outfile`,
 * and code splitting needs an output directory. Bundling here also keeps synth free of
 * NodejsFunction's Docker fallback.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { buildSync } from 'esbuild';
import { lambdaEsbuildOptions } from '../functions/lib/bundling.ts';
import { WharfConfigError } from './errors.ts';

/** The entry's output file: `index.mjs`, so the handler is `index.handler` (`.mjs`: Lambda loads it as ESM). */
export const HANDLER_MODULE = 'index';
export const HANDLER = `${HANDLER_MODULE}.handler`;

/** Files written beside the bundle, by path relative to the code root. */
export type ExtraFiles = Readonly<Record<string, string>>;

/** Directories bundled by this process, by entry and extra files: every synth of a test run reuses them. */
const bundled = new Map<string, string>();

/** esbuild's options for one entry: the shared ones, plus where and under which name to write. */
export function esbuildOptionsFor(entry: string, outdir: string) {
  return {
    ...lambdaEsbuildOptions(),
    entryPoints: { [HANDLER_MODULE]: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    logLevel: 'silent' as const,
  };
}

/**
 * Bundles `entry` with the shared options and writes `files` beside it; returns the
 * directory. The same entry and files are bundled once per process.
 */
export function bundleFunction(entry: string, files: ExtraFiles = {}): string {
  const key = createHash('sha256')
    .update(JSON.stringify([path.resolve(entry), files]))
    .digest('hex');
  const cached = bundled.get(key);
  if (cached && fs.existsSync(cached)) return cached;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-lambda-build-'));
  try {
    buildSync(esbuildOptionsFor(entry, outdir));
  } catch (cause) {
    fs.rmSync(outdir, { recursive: true, force: true });
    throw new WharfConfigError(
      'functionsDirectory',
      `esbuild cannot bundle ${entry}: ${(cause as Error).message.split('\n').slice(0, 6).join(' ')}; fix the handler (node_modules/.bin/node bench/lambda-bundles.ts shows the same errors)`,
      { cause },
    );
  }
  for (const [name, body] of Object.entries(files)) {
    const file = path.join(outdir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, body);
  }
  const dir = keepByContent(outdir);
  bundled.set(key, dir);
  return dir;
}

/**
 * The Lambda code of one handler. A stack whose assets are not bundled in this run
 * (`cdk deploy OtherStack`, or the `aws:cdk:bundling-stacks` context) gets a stub that
 * fails when invoked, as NodejsFunction does without bundling.
 */
export function functionCode(scope: Construct, entry: string, files: ExtraFiles = {}): lambda.Code {
  if (!Stack.of(scope).bundlingRequired) return lambda.Code.fromAsset(stubDirectory());
  return lambda.Code.fromAsset(bundleFunction(entry, files));
}

function stubDirectory(): string {
  const cached = bundled.get('stub');
  if (cached && fs.existsSync(cached)) return cached;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-lambda-build-'));
  fs.writeFileSync(
    path.join(outdir, `${HANDLER_MODULE}.mjs`),
    "export const handler = async () => { throw new Error('this function was synthesized without bundling: deploy it with cdk deploy'); };\n",
  );
  const dir = keepByContent(outdir);
  bundled.set('stub', dir);
  return dir;
}

/**
 * Moves a finished bundle to a directory named by its content, so that synths of the same
 * code (test runs, `cdk watch`) share one directory in the temp folder instead of leaving
 * one each. The directory must outlive the process: with asset staging off (`cdk synth
 * --no-staging`) the cloud assembly points at it.
 */
function keepByContent(outdir: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const file = path.join(dir, name);
      if (fs.statSync(file).isDirectory()) walk(file);
      else hash.update(path.relative(outdir, file)).update('\0').update(fs.readFileSync(file));
    }
  };
  walk(outdir);
  const final = path.join(os.tmpdir(), `wharf-lambda-${hash.digest('hex').slice(0, 24)}`);
  if (!fs.existsSync(final)) {
    try {
      fs.renameSync(outdir, final);
      return final;
    } catch (cause) {
      // Another process made the same bundle first: theirs is identical.
      if (!fs.existsSync(final)) throw cause;
    }
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  return final;
}
