import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCodeBuildEvent } from '../../../adapters/aws/codebuild-events.ts';
import { exportedVariables, shellExports } from '../../../buildpacks/codebuild/export-result.ts';
import { tempDir } from './fixtures.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const BUILDPACKS = path.join(ROOT, 'buildpacks');
const SPECS = ['buildspec-buildpacks.yml', 'buildspec-docker.yml'] as const;
/** What adapters/aws/codebuild-events.ts reads back from a finished build. */
const EXPORTS = [
  'WHARF_IMAGE_URI',
  'WHARF_IMAGE_DIGEST',
  'WHARF_PROCESS_TYPES',
  'WHARF_CONFIG_DEFAULTS',
  'WHARF_BUILDPACKS',
  'WHARF_CACHE_HIT',
];

interface Buildspec {
  version: string | number;
  env: { shell: string; variables?: Record<string, string>; 'exported-variables': string[] };
  phases: Record<string, { commands: string[] }>;
  cache?: { paths: string[] };
}

async function loadSpec(name: string): Promise<Buildspec> {
  return parse(await readFile(path.join(BUILDPACKS, 'codebuild', name), 'utf8')) as Buildspec;
}

const commandsOf = (spec: Buildspec) => Object.values(spec.phases).flatMap((p) => p.commands);

async function tsFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (
      entry.isFile() &&
      entry.name.endsWith('.ts') &&
      !full.includes('node_modules') &&
      !full.includes('fixtures')
    ) {
      out.push(full);
    }
  }
  return out;
}

describe('the buildspecs', () => {
  it.each(SPECS)(
    '%s is a version 0.2 buildspec in bash that exports what the build-events handler reads',
    async (name) => {
      const spec = await loadSpec(name);
      expect(String(spec.version)).toBe('0.2');
      expect(spec.env.shell).toBe('bash');
      expect(spec.env['exported-variables']).toEqual(EXPORTS);
      expect(commandsOf(spec).length).toBeGreaterThan(3);
      // A plain YAML scalar holding ": " becomes a mapping, which CodeBuild rejects.
      for (const command of commandsOf(spec)) expect(typeof command, JSON.stringify(command)).toBe('string');
    },
  );

  it.each(SPECS)('every command of %s is valid bash', async (name) => {
    for (const command of commandsOf(await loadSpec(name))) {
      await expect(run('bash', ['-n', '-c', command]), command).resolves.toBeDefined();
    }
  });

  it.each(SPECS)('every runner file %s names exists under buildpacks/', async (name) => {
    const text = commandsOf(await loadSpec(name)).join('\n');
    const refs = [...text.matchAll(/\$\{?(?:WHARF_RUNNER|CODEBUILD_SRC_DIR_runner)\}?\/([\w./-]+)/g)].map(
      (m) => m[1]!,
    );
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of refs) expect(existsSync(path.join(BUILDPACKS, ref)), `buildpacks/${ref}`).toBe(true);
  });

  it('keeps the per-app caches where CodeBuild saves them to S3', async () => {
    const spec = await loadSpec('buildspec-buildpacks.yml');
    const home = spec.env.variables!['WHARF_HOME']!;
    const build = spec.phases['build']!.commands.join(' ');
    expect(build).toContain('--cache "$WHARF_HOME/cache"');
    expect(build).toContain('--buildpack-cache "$WHARF_HOME/buildpacks"');
    expect(spec.cache!.paths).toEqual([`${home}/cache/**/*`, `${home}/buildpacks/**/*`]);
  });

  it('installs every npm package the runner folder imports, at the range package.json has', async () => {
    const spec = await loadSpec('buildspec-buildpacks.yml');
    const install = commandsOf(spec).find((c) => c.startsWith('npm install --prefix "$WHARF_RUNNER"'))!;
    const installed = new Map(
      install
        .split(/\s+/)
        .filter((w) => /^@?[\w-]+(\/[\w-]+)?@/.test(w))
        .map((w) => [w.slice(0, w.lastIndexOf('@')), w.slice(w.lastIndexOf('@') + 1)]),
    );
    const pkg = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    const imported = new Set<string>();
    for (const file of await tsFiles(BUILDPACKS)) {
      for (const m of (await readFile(file, 'utf8')).matchAll(/from '([^'.][^']*)'/g)) {
        const spec = m[1]!;
        if (spec.startsWith('node:')) continue;
        imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
      }
    }
    for (const name of imported) {
      expect(
        installed.get(name),
        `${name} is imported under buildpacks/ but not installed by the buildspec`,
      ).toBe(pkg.dependencies[name]);
    }
  });

  it('ships a self-contained runner: nothing under buildpacks/ imports a file outside it', async () => {
    const escapes: string[] = [];
    for (const file of await tsFiles(BUILDPACKS)) {
      for (const m of (await readFile(file, 'utf8')).matchAll(/from '(\.[^']*)'/g)) {
        const target = path.resolve(path.dirname(file), m[1]!);
        if (!target.startsWith(`${BUILDPACKS}/`)) escapes.push(`${path.relative(ROOT, file)} -> ${m[1]}`);
      }
    }
    expect(escapes).toEqual([]);
  });

  it('turns a Procfile into base64 JSON process types in the Docker build', async () => {
    const spec = await loadSpec('buildspec-docker.yml');
    const line = commandsOf(spec).find((c) => c.startsWith('export WHARF_PROCESS_TYPES='))!;
    const source = await tempDir('docker-src');
    await writeFile(
      path.join(source, 'Procfile'),
      'web: node server.js --port $PORT\r\n# comment\n\nworker:  node w.js \n',
    );
    const { stdout } = await run('bash', ['-c', `${line}\nprintf %s "$WHARF_PROCESS_TYPES"`], {
      env: {
        PATH: `${path.join(ROOT, 'node_modules/.bin')}:/usr/bin:/bin`,
        WHARF_SOURCE_DIR: source,
        HOME: source,
      },
    });
    expect(JSON.parse(Buffer.from(stdout, 'base64').toString())).toEqual({
      web: 'node server.js --port $PORT',
      worker: 'node w.js',
    });
    const none = await run('bash', ['-c', `${line}\nprintf %s "$WHARF_PROCESS_TYPES"`], {
      env: {
        PATH: `${path.join(ROOT, 'node_modules/.bin')}:/usr/bin:/bin`,
        WHARF_SOURCE_DIR: await tempDir('docker-empty'),
        HOME: source,
      },
    });
    expect(Buffer.from(none.stdout, 'base64').toString()).toBe('{}');
  });
});

describe('export-result', () => {
  it('exports what adapters/aws/codebuild-events.ts turns back into the build outcome, through bash', async () => {
    const processTypes = { web: `node server.js --greeting "it's $HOME"`, worker: 'bin/worker' };
    const vars = exportedVariables(
      {
        processTypes,
        configDefaults: { NODE_ENV: 'production' },
        buildpacks: [{ url: 'builtin:nodejs', name: 'Node.js' }],
        cacheHit: true,
      },
      { reference: '1.dkr.ecr.eu-west-1.amazonaws.com/wharf@sha256:abc', digest: 'sha256:abc' },
    );
    const { stdout } = await run('bash', [
      '-c',
      `${shellExports(vars)}\nfor v in ${EXPORTS.join(' ')}; do printf '%s=%s\\n' "$v" "\${!v}"; done`,
    ]);
    const evaluated = stdout
      .trim()
      .split('\n')
      .map((l) => ({ name: l.slice(0, l.indexOf('=')), value: l.slice(l.indexOf('=') + 1) }));
    const state = parseCodeBuildEvent({
      'detail-type': 'CodeBuild Build State Change',
      detail: {
        'build-status': 'SUCCEEDED',
        'additional-information': {
          environment: { 'environment-variables': [{ name: 'WHARF_BUILD_ID', value: 'b1' }] },
          'exported-environment-variables': evaluated,
        },
      },
    });
    expect(state).toEqual({
      kind: 'finished',
      buildId: 'b1',
      outcome: {
        ok: true,
        artifact: {
          kind: 'image',
          uri: '1.dkr.ecr.eu-west-1.amazonaws.com/wharf@sha256:abc',
          digest: 'sha256:abc',
          processTypes,
          configDefaults: { NODE_ENV: 'production' },
        },
        buildpacks: [{ url: 'builtin:nodejs', name: 'Node.js' }],
        cacheHit: true,
        timings: {},
      },
    });
  });
});

describe('ensure-node.sh', () => {
  it('keeps a Node that is new enough and says which one', async () => {
    const home = await tempDir('wharf-home');
    const { stdout } = await run(
      'bash',
      ['-c', `source ${path.join(BUILDPACKS, 'codebuild/ensure-node.sh')} && node -p process.versions.node`],
      {
        env: {
          PATH: `${path.join(ROOT, 'node_modules/.bin')}:/usr/bin:/bin`,
          WHARF_HOME: home,
          HOME: home,
          WHARF_NODE_MAJOR: '24',
        },
      },
    );
    const [said, version] = stdout.trim().split('\n');
    expect(said).toBe(`-----> Using Node.js v${version}`);
    expect(Number(version!.split('.')[0])).toBeGreaterThanOrEqual(24);
  });

  it('fails when it cannot provide the Node major asked for', async () => {
    const home = await tempDir('wharf-home');
    const attempt = run('bash', ['-c', `source ${path.join(BUILDPACKS, 'codebuild/ensure-node.sh')}`], {
      // An npm that always fails stands in for a registry that cannot be reached.
      env: {
        PATH: `${await fakeNpm(home)}:${path.join(ROOT, 'node_modules/.bin')}:/usr/bin:/bin`,
        WHARF_HOME: home,
        WHARF_NODE_MAJOR: '999',
      },
    });
    await expect(attempt).rejects.toMatchObject({
      stderr: expect.stringContaining('could not install Node.js 999'),
    });
  });
});

async function fakeNpm(home: string): Promise<string> {
  const bin = path.join(home, 'fake-bin');
  await run('mkdir', ['-p', bin]);
  await writeFile(path.join(bin, 'npm'), '#!/bin/sh\necho "npm: registry unreachable" >&2\nexit 1\n', {
    mode: 0o755,
  });
  return bin;
}
