#!/usr/bin/env node
/**
 * Turns the runner's result and the image CLI's result into the buildspec's exported variables,
 * which the CodeBuild state-change event carries to the control plane
 * (adapters/aws/codebuild-events.ts reads them back). JSON values travel base64-encoded so that
 * no quoting of process commands can break them.
 *
 * Usage: export-result.ts --build-result FILE --image-result FILE   (prints `export K='v'` lines to eval)
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';

/** The fields of the runner's JSON result that the control plane needs. */
export interface RunnerResult {
  readonly processTypes?: Readonly<Record<string, string>>;
  readonly configDefaults?: Readonly<Record<string, string>>;
  readonly buildpacks?: readonly { readonly url: string; readonly name: string; readonly commit?: string }[];
  readonly cacheHit?: boolean;
}

/** The fields of buildpacks/image/cli.ts's result that the control plane needs. */
export interface ImageResult {
  readonly digest: string;
  readonly reference: string;
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64');

export function exportedVariables(build: RunnerResult, image: ImageResult): Record<string, string> {
  return {
    WHARF_IMAGE_URI: image.reference,
    WHARF_IMAGE_DIGEST: image.digest,
    WHARF_PROCESS_TYPES: b64(build.processTypes ?? {}),
    WHARF_CONFIG_DEFAULTS: b64(build.configDefaults ?? {}),
    WHARF_BUILDPACKS: b64(build.buildpacks ?? []),
    WHARF_CACHE_HIT: build.cacheHit ? 'true' : 'false',
  };
}

/** `export K='v'` lines, single-quoted so that the shell evaluates nothing inside them. */
export function shellExports(vars: Readonly<Record<string, string>>): string {
  return Object.entries(vars)
    .map(([k, v]) => `export ${k}='${v.replaceAll("'", `'\\''`)}'\n`)
    .join('');
}

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: { 'build-result': { type: 'string' }, 'image-result': { type: 'string' } },
  });
  if (!values['build-result'] || !values['image-result']) {
    throw new Error('usage: export-result.ts --build-result FILE --image-result FILE');
  }
  const build = JSON.parse(await readFile(values['build-result'], 'utf8')) as RunnerResult;
  const image = JSON.parse(await readFile(values['image-result'], 'utf8')) as ImageResult;
  process.stdout.write(shellExports(exportedVariables(build, image)));
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    process.stderr.write(` !     ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
