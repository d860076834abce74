// The CodeBuild entry point: same runner, output on stdout, a JSON result file, exit status.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  buildOptions,
  cleanupTemp,
  makeBuildpack,
  NODE24,
  REPO_ROOT,
  slugEntries,
  tempDir,
  writeTree,
} from './helpers.ts';

afterAll(cleanupTemp);

const CLI = path.join(REPO_ROOT, 'buildpacks', 'bin', 'wharf-build.ts');

function cli(args: string[]) {
  return spawnSync(NODE24, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, WHARF_GIT_ALLOW_FILE_PROTOCOL: '1' },
  });
}

describe('wharf-build CLI', () => {
  it('builds, streams output and writes the JSON result', () => {
    const bp = makeBuildpack(tempDir(), {
      compile: 'cat "$3/GREETING" > "$1/greeting"; echo "built $SOURCE_VERSION"',
    });
    const src = writeTree(tempDir(), { Procfile: 'web: cat greeting\n' });
    const envFile = writeTree(tempDir(), { 'app.env': '# config\nGREETING=hello=world\n' });
    const { opts } = buildOptions(src);
    const result = path.join(tempDir(), 'result.json');
    const r = cli([
      '--app',
      'demo',
      '--source',
      src,
      '--slug',
      opts.slugPath,
      '--cache',
      opts.cacheDir,
      '--buildpack-cache',
      opts.buildpackCacheDir,
      '--source-version',
      'f00d',
      '--env-file',
      path.join(envFile, 'app.env'),
      '--buildpack',
      bp,
      '--work',
      opts.workDir,
      '--result',
      result,
    ]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('       built f00d\n');
    const json = JSON.parse(readFileSync(result, 'utf8'));
    expect(json).toMatchObject({ ok: true, slugPath: opts.slugPath, processTypes: { web: 'cat greeting' } });
    expect(json.buildpacks).toEqual([{ url: bp, name: 'Test' }]);
    expect(slugEntries(opts.slugPath)).toContain('./app/greeting');
  });

  it('exits 1 with the failure in the result file', () => {
    const { opts } = buildOptions(writeTree(tempDir(), { 'main.c': '' }));
    const result = path.join(tempDir(), 'result.json');
    const r = cli([
      '--app',
      'demo',
      '--source',
      opts.sourceDir,
      '--slug',
      opts.slugPath,
      '--cache',
      opts.cacheDir,
      '--buildpack-cache',
      opts.buildpackCacheDir,
      '--result',
      result,
    ]);
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n').at(-1)).toMatch(/^!\s+Build failed: no buildpack applies/);
    expect(JSON.parse(readFileSync(result, 'utf8'))).toMatchObject({ ok: false, phase: 'detect' });
  });

  it('exits 2 on missing arguments', () => {
    const r = cli(['--app', 'demo']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('missing --source, --slug, --cache, --buildpack-cache');
  });
});
