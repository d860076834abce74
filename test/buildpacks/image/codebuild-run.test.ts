import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCodeBuildEvent } from '../../../adapters/aws/codebuild-events.ts';
import { makeLayer, pushLayout, sha256Of, skopeo, tempDir, writeOciLayout } from './fixtures.ts';
import { type RunningRegistry, startRegistry } from './registry-server.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const EXPORTS = [
  'WHARF_IMAGE_URI',
  'WHARF_IMAGE_DIGEST',
  'WHARF_PROCESS_TYPES',
  'WHARF_CONFIG_DEFAULTS',
  'WHARF_BUILDPACKS',
  'WHARF_CACHE_HIT',
];

const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Runs a buildspec the way CodeBuild does: one bash session, buildspec variables under the
 * project's, phases in order, a phase stopping at its first failing command. `aws` and `npm`
 * are stand-ins (ECR token, S3 copy to a directory; node_modules linked from the checkout).
 */
async function runBuildspec(file: string, env: Record<string, string>, fakeBin: string) {
  const spec = parse(await readFile(file, 'utf8')) as {
    env: { variables: Record<string, string>; 'exported-variables': string[] };
    phases: Record<string, { commands: string[] }>;
  };
  const lines: string[] = [];
  for (const [k, v] of Object.entries({ ...spec.env.variables, ...env })) lines.push(`export ${k}=${q(v)}`);
  for (const phase of ['install', 'pre_build', 'build', 'post_build']) {
    for (const [i, command] of (spec.phases[phase]?.commands ?? []).entries()) {
      lines.push(`{ ${command}\n} || { echo "phase ${phase} failed at command ${i + 1}" >&2; exit 97; }`);
    }
  }
  lines.push(
    `for v in ${spec.env['exported-variables'].join(' ')}; do printf '%s=%s\\n' "$v" "\${!v}" >&3; done`,
  );
  const script = path.join(path.dirname(fakeBin), 'codebuild.sh');
  await writeFile(script, lines.join('\n'));
  const { stdout, stderr } = await run('bash', ['-c', `exec 3>"$0.exports"; source "$0"`, script], {
    // Not the real HOME: bash with a socket as stdin (as Node spawns it) sources ~/.bashrc.
    env: {
      PATH: `${fakeBin}:${path.join(ROOT, 'node_modules/.bin')}:/usr/sbin:/usr/bin:/sbin:/bin`,
      HOME: path.dirname(fakeBin),
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  const exported = (await readFile(`${script}.exports`, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => ({ name: l.slice(0, l.indexOf('=')), value: l.slice(l.indexOf('=') + 1) }));
  return { stdout, stderr, exported };
}

async function writeFakeTools(dir: string, s3: string): Promise<string> {
  const bin = path.join(dir, 'bin');
  await mkdir(bin, { recursive: true });
  const aws = `#!/bin/bash
case "$1 $2" in
  "ecr get-authorization-token") printf '%s\\n' "$(printf 'AWS:pw' | base64)" ;;
  "s3 cp") shift 2; [ "$1" = --only-show-errors ] && shift; dest="${s3}/\${2#s3://}"; mkdir -p "$(dirname "$dest")"; cp "$1" "$dest" ;;
  *) echo "fake aws: unexpected $*" >&2; exit 2 ;;
esac
`;
  const npm = `#!/bin/bash
echo "$@" >> "${dir}/npm-calls"
[ "$1 $2" = "install --prefix" ] || { echo "fake npm: unexpected $*" >&2; exit 2; }
ln -sfn "${ROOT}/node_modules" "$3/node_modules"
`;
  await writeFile(path.join(bin, 'aws'), aws, { mode: 0o755 });
  await writeFile(path.join(bin, 'npm'), npm, { mode: 0o755 });
  return bin;
}

describe('buildspec-buildpacks.yml, run as CodeBuild would against a loopback registry', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
    const layout = await tempDir('cb-layout');
    await writeOciLayout(layout, '24', [
      { architecture: 'amd64', layers: [await makeLayer({ 'etc/os-release': 'ID=stack\n' })] },
    ]);
    await pushLayout(layout, '24', `${registry.host}/stack:24`);
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it('builds with the runner, pushes the image, keeps the slug and exports the outcome', async () => {
    const dir = await tempDir('codebuild');
    const runner = path.join(dir, 'runner');
    // CodeBuild receives buildpacks/ alone, as the secondary source `runner`.
    await cp(path.join(ROOT, 'buildpacks'), runner, { recursive: true });
    const source = path.join(dir, 'src');
    await mkdir(source);
    await writeFile(path.join(source, 'Procfile'), 'web: ./server.sh\nworker: ./work.sh\n');
    await writeFile(path.join(source, 'server.sh'), '#!/bin/sh\necho serving\n', { mode: 0o755 });
    const home = path.join(dir, 'home');
    const s3 = path.join(dir, 's3');
    const fakeBin = await writeFakeTools(dir, s3);

    const { exported, stdout, stderr } = await runBuildspec(
      path.join(ROOT, 'buildpacks/codebuild/buildspec-buildpacks.yml'),
      {
        CODEBUILD_SRC_DIR: source,
        CODEBUILD_SRC_DIR_runner: runner,
        CODEBUILD_BUILD_ID: 'wharf-buildpacks:1',
        WHARF_HOME: home,
        WHARF_APP: 'demo',
        WHARF_BUILD_ID: 'b1',
        WHARF_SOURCE_VERSION: 'abc123',
        WHARF_IMAGE_TAG: 'demo-b1',
        WHARF_BUILD_ENV: Buffer.from(JSON.stringify({ GREETING: 'hi' })).toString('base64'),
        WHARF_REGISTRY: registry.url,
        WHARF_REPOSITORY: 'wharf',
        WHARF_ARCHITECTURE: 'X86_64',
        WHARF_BUCKET: 'bucket',
        WHARF_SLUG_PREFIX: 'slugs/',
        WHARF_RUN_IMAGE: 'stack:24',
      },
      fakeBin,
    );
    expect(stderr).toContain('-----> Assembling image');
    expect(stdout).toContain('-----> Using Node.js');
    expect(exported.map((e) => e.name)).toEqual(EXPORTS);
    expect(await readFile(path.join(dir, 'npm-calls'), 'utf8')).toContain('yaml@');

    const state = parseCodeBuildEvent({
      detail: {
        'build-status': 'SUCCEEDED',
        'additional-information': {
          environment: { 'environment-variables': [{ name: 'WHARF_BUILD_ID', value: 'b1' }] },
          'exported-environment-variables': exported,
        },
      },
    });
    if (state?.kind !== 'finished' || !state.outcome.ok)
      throw new Error(`unexpected outcome ${JSON.stringify(state)}`);
    const artifact = state.outcome.artifact!;
    expect(artifact.processTypes).toEqual({ web: './server.sh', worker: './work.sh' });
    expect(artifact.uri).toBe(`${registry.host}/wharf@${artifact.digest}`);

    const slug = await readFile(path.join(s3, 'bucket/slugs/demo/b1.tgz'));
    const inspected = JSON.parse(
      await skopeo(['inspect', '--tls-verify=false', `docker://${artifact.uri}`]),
    ) as { Layers: string[]; RepoTags: string[]; Labels: Record<string, string> };
    expect(inspected.Layers.at(-1)).toBe(sha256Of(slug));
    expect(inspected.RepoTags).toEqual(['demo-b1']);
    expect(inspected.Labels['io.wharf.app']).toBe('demo');
    expect(inspected.Labels['org.opencontainers.image.revision']).toBe('abc123');
    const config = JSON.parse(
      await skopeo(['inspect', '--config', '--tls-verify=false', `docker://${artifact.uri}`]),
    ) as { config: { Cmd: string[] } };
    expect(config.config.Cmd).toEqual(['./server.sh']);
    // The build's scratch space is gone; the caches CodeBuild saves to S3 stay.
    expect(existsSync(path.join(home, 'work/b1'))).toBe(false);
    expect(existsSync(path.join(home, 'cache'))).toBe(true);
  });
});
