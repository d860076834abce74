import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAUNCHER_SCRIPT } from '../../../buildpacks/image/index.ts';
import { makeLayer, makeSlug, pushLayout, tempDir, writeOciLayout } from './fixtures.ts';
import { type RunningRegistry, startRegistry } from './registry-server.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../../..');
const NODE = path.join(ROOT, 'node_modules/.bin/node');
const CLI = path.join(ROOT, 'buildpacks/image/cli.ts');

async function cli(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(NODE, [CLI, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('buildpacks/image/cli.ts', () => {
  let registry: RunningRegistry;
  let slugPath: string;

  beforeAll(async () => {
    registry = await startRegistry();
    const layout = await tempDir('cli-layout');
    await writeOciLayout(layout, 's', [
      { architecture: 'amd64', layers: [await makeLayer({ 'etc/x': 'x\n' })] },
    ]);
    await pushLayout(layout, 's', `${registry.host}/stack:s`);
    slugPath = await makeSlug({ Procfile: 'web: npm start\n' });
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('assembles from the runner result, prints the result JSON and writes --output', async () => {
    const dir = await tempDir('cli');
    const resultFile = path.join(dir, 'build-result.json');
    await writeFile(
      resultFile,
      JSON.stringify({ processTypes: { web: 'npm start', worker: 'node worker.js' } }),
    );
    const out = path.join(dir, 'image.json');
    const { code, stdout, stderr } = await cli([
      '--registry',
      registry.host,
      '--insecure',
      '--repository',
      'cli/app',
      '--tag',
      'build-1',
      '--base',
      'stack:s',
      '--slug',
      slugPath,
      '--build-result',
      resultFile,
      '--label',
      'io.wharf.app=app',
      '--output',
      out,
    ]);
    expect(stderr).toContain('-----> Assembling image');
    expect(code).toBe(0);
    const result = JSON.parse(stdout) as { digest: string; reference: string; configDigest: string };
    expect(JSON.parse(await readFile(out, 'utf8'))).toEqual(result);
    expect(result.reference).toBe(`${registry.host}/cli/app@${result.digest}`);
    const config = (await (
      await fetch(`${registry.url}/v2/cli/app/blobs/${result.configDigest}`)
    ).json()) as { config: { Cmd: string[]; Labels: Record<string, string> } };
    expect(config.config.Cmd).toEqual(['npm start']);
    expect(config.config.Labels['io.wharf.app']).toBe('app');
    expect(JSON.parse(config.config.Labels['io.wharf.process-types']!)).toEqual({
      web: 'npm start',
      worker: 'node worker.js',
    });
  });

  it('exits 1 with the reason on stderr: missing flags, an unset secret variable, a missing base', async () => {
    const missing = await cli(['--registry', registry.host]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('missing --repository, --base, --slug');
    const common = ['--registry', registry.url, '--repository', 'r', '--slug', slugPath];
    const unset = await cli([...common, '--base', 'stack:s', '--ecr-token-env', 'WHARF_TEST_NO_SUCH_VAR']);
    expect(unset.stderr).toContain(
      '--ecr-token-env names WHARF_TEST_NO_SUCH_VAR, but that environment variable is empty',
    );
    const noBase = await cli([...common, '--base', 'stack:nope']);
    expect(noBase.code).toBe(1);
    expect(noBase.stderr).toContain(`base image ${registry.host}/stack:nope not found`);
  });
});

describe('the launcher entrypoint', () => {
  // The script names /app; here it runs against a temp dir put in its place.
  async function launch(appDir: string, args: string[], env: Record<string, string> = {}) {
    const script = LAUNCHER_SCRIPT.replaceAll('/app', appDir);
    return await run('/bin/bash', ['-c', script, 'wharf-launch', ...args], {
      cwd: appDir,
      env: { PATH: '/usr/bin:/bin', HOME: appDir, ...env },
    });
  }

  it('sources .profile.d in order, then .profile, then runs the command through bash -c', async () => {
    const app = await tempDir('launch');
    await mkdir(path.join(app, '.profile.d'));
    await writeFile(
      path.join(app, '.profile.d', '10-a.sh'),
      'export ORDER="$ORDER a"; export FROM_D=$GREETING-d\n',
    );
    await writeFile(path.join(app, '.profile.d', '20-b.sh'), 'export ORDER="$ORDER b"\n');
    await writeFile(path.join(app, '.profile'), 'export ORDER="$ORDER profile"\n');
    const single = await launch(app, ['echo "$ORDER|$FROM_D|$PORT|$0" && echo $wharf_profile'], {
      GREETING: 'hi',
      PORT: '5000',
    });
    expect(single.stdout).toBe(' a b profile|hi-d|5000|bash\n\n');
    const words = await launch(app, ['echo', 'two', 'words']);
    expect(words.stdout).toBe('two words\n');
  });

  it('fails with exit 64 and a message when no command is given', async () => {
    const app = await tempDir('launch-none');
    const attempt = launch(app, []);
    await expect(attempt).rejects.toMatchObject({ code: 64 });
    await expect(attempt).rejects.toMatchObject({ stderr: expect.stringContaining('no command given') });
  });
});
