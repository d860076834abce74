#!/usr/bin/env node
/**
 * Assembles and pushes the app image from a slug; run by the CodeBuild buildspec after the
 * buildpack runner. Progress goes to stderr, the result (JSON) to stdout and --output.
 * Secrets come from environment variables named by flags, never from argv (argv shows in `ps`
 * and in CodeBuild's logs).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InvalidImageOptionError } from './errors.ts';
import { assembleImage } from './assemble.ts';
import { ecrCredentials, type RegistryCredentials } from './auth.ts';

export const USAGE = `usage: cli.ts --registry HOST[:PORT]|URL --repository REPO --base REF --slug FILE [options]

  --registry HOST|URL     registry to push to (https unless http:// or --insecure)
  --repository REPO       repository for the app image, e.g. wharf/myapp
  --base REF              run image: repo:tag, repo@sha256:..., or host/repo:tag in another registry
  --slug FILE             the slug (.tgz of ./app/...)
  --tag TAG               also tag the image (it is always pushed by digest)
  --platform OS/ARCH      platform to take from a multi-platform base (default linux/amd64)
  --build-result FILE     the runner's JSON result: its web process becomes the default command
  --command CMD           default command (wins over --build-result)
  --label KEY=VALUE       image label (repeatable)
  --chunk-size BYTES      upload the slug in chunks of this size (default: one PUT)
  --insecure              use http for a bare HOST[:PORT]
  --ecr-token-env VAR     env var holding ECR's GetAuthorizationToken token (base64 user:password)
  --auth-header-env VAR   env var holding an Authorization header value, sent as is
  --username USER         basic credentials, with --password-env
  --password-env VAR      env var holding the password
  --output FILE           also write the result JSON here`;

function secretFromEnv(flag: string, name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const value = process.env[name];
  if (!value)
    throw new InvalidImageOptionError(
      `${flag} names ${name}, but that environment variable is empty or unset`,
    );
  return value;
}

function credentialsFrom(
  values: Record<string, string | boolean | string[] | undefined>,
): RegistryCredentials {
  const ecr = secretFromEnv('--ecr-token-env', values['ecr-token-env'] as string | undefined);
  if (ecr) return ecrCredentials(ecr);
  const header = secretFromEnv('--auth-header-env', values['auth-header-env'] as string | undefined);
  if (header) return { kind: 'header', value: header };
  const username = values['username'] as string | undefined;
  if (username !== undefined) {
    const password = secretFromEnv('--password-env', (values['password-env'] as string | undefined) ?? '');
    return { kind: 'basic', username, password: password ?? '' };
  }
  return { kind: 'anonymous' };
}

async function commandFrom(
  resultFile: string | undefined,
): Promise<{ command?: string; labels: Record<string, string> }> {
  if (!resultFile) return { labels: {} };
  const result = JSON.parse(await readFile(resultFile, 'utf8')) as { processTypes?: Record<string, string> };
  const processTypes = result.processTypes ?? {};
  const labels = { 'io.wharf.process-types': JSON.stringify(processTypes) };
  return processTypes['web'] ? { command: processTypes['web'], labels } : { labels };
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      registry: { type: 'string' },
      repository: { type: 'string' },
      base: { type: 'string' },
      slug: { type: 'string' },
      tag: { type: 'string' },
      platform: { type: 'string' },
      'build-result': { type: 'string' },
      command: { type: 'string' },
      label: { type: 'string', multiple: true },
      'chunk-size': { type: 'string' },
      insecure: { type: 'boolean' },
      'ecr-token-env': { type: 'string' },
      'auth-header-env': { type: 'string' },
      username: { type: 'string' },
      'password-env': { type: 'string' },
      output: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const missing = ['registry', 'repository', 'base', 'slug'].filter((k) => !values[k as keyof typeof values]);
  if (missing.length > 0) {
    throw new InvalidImageOptionError(`missing ${missing.map((m) => `--${m}`).join(', ')}\n${USAGE}`);
  }
  const chunkSize = values['chunk-size'] ? Number(values['chunk-size']) : undefined;
  if (chunkSize !== undefined && !(Number.isInteger(chunkSize) && chunkSize > 0)) {
    throw new InvalidImageOptionError(
      `--chunk-size must be a positive number of bytes, not "${values['chunk-size']}"`,
    );
  }
  const fromResult = await commandFrom(values['build-result']);
  const labels: Record<string, string> = { ...fromResult.labels };
  for (const kv of values.label ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new InvalidImageOptionError(`--label must be KEY=VALUE, not "${kv}"`);
    labels[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  const command = values.command ?? fromResult.command;
  const result = await assembleImage({
    registry: values.registry!,
    repository: values.repository!,
    base: values.base!,
    slugPath: values.slug!,
    credentials: credentialsFrom(values),
    insecure: values.insecure ?? false,
    labels,
    ...(values.tag ? { tag: values.tag } : {}),
    ...(values.platform ? { platform: values.platform } : {}),
    ...(chunkSize ? { chunkSize } : {}),
    ...(command ? { command } : {}),
    onProgress: (line) => process.stderr.write(`${line}\n`),
  });
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (values.output) await writeFile(values.output, json);
  process.stdout.write(json);
  return 0;
}

if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(` !     ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
