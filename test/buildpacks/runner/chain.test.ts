// A fixture buildpack chained before the Node.js built-in, through .buildpacks and through BUILDPACK_URL.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMultiBuildpackUrl, releaseEnv, runBuild } from '../../../buildpacks/runner/index.ts';
import {
  buildOptions,
  cleanupTemp,
  extractSlug,
  makeBuildpack,
  nodeApp,
  nodePath,
  npmLock,
  tempDir,
  writeTree,
} from './helpers.ts';
import { startAndGet } from './run-slug.ts';

afterAll(cleanupTemp);

describe('a fixture buildpack chained with the Node.js built-in', { timeout: 240_000 }, () => {
  let PATH: string;
  let fixture: string;
  let npmCache: string;
  let lock: string;
  beforeAll(() => {
    PATH = nodePath();
    const probe = nodeApp();
    npmLock(probe, PATH);
    lock = readFileSync(path.join(probe, 'package-lock.json'), 'utf8');
    npmCache = path.join(tempDir('wharf-appcache-'), 'cache');
    // its export reaches the Node.js build script; its release adds a worker the Node.js one lacks
    fixture = makeBuildpack(tempDir('wharf-fixturebp-'), {
      detect: 'echo Fixture',
      compile: [
        'echo "-----> Adding the fixture tool"',
        'mkdir -p "$1/.fixture"',
        'echo "export CHAIN_X=from-fixture" > "$(dirname "$0")/../export"',
      ].join('\n'),
      release: 'printf -- "---\\ndefault_process_types:\\n  web: false\\n  worker: sleep 100\\n"',
    });
  });

  async function buildAndRun(src: string, env: Record<string, string>) {
    const b = buildOptions(src, { path: PATH, env, cacheDir: npmCache });
    const r = await runBuild(b.opts);
    expect(r.buildpacks.map((x) => x.name)).toEqual(['Fixture', 'Node.js']);
    expect(r.processTypes).toEqual({ web: 'npm start', worker: 'sleep 100' });
    const app = extractSlug(r.slugPath);
    expect(readFileSync(path.join(app, 'dist/built.txt'), 'utf8')).toBe('a\\.b from-fixture');
    const body = await startAndGet(app, r.processTypes.web!, releaseEnv(r.configDefaults, env), PATH);
    expect(body).toBe('7200000 a\\.b from-fixture production');
    return b.lines;
  }

  it('builds and runs with a .buildpacks file', async () => {
    const src = nodeApp({ '.buildpacks': `${fixture}\nheroku/nodejs\n`, 'package-lock.json': lock });
    const lines = await buildAndRun(src, {});
    expect(lines).toContain('-----> Using buildpacks from .buildpacks:');
  });

  it('builds and runs with the same chain in BUILDPACK_URL (whitespace-separated)', async () => {
    const src = nodeApp({ 'package-lock.json': lock });
    const lines = await buildAndRun(src, { BUILDPACK_URL: `${fixture} heroku/nodejs` });
    expect(lines).toContain('-----> Using buildpacks from BUILDPACK_URL:');
  });

  it("reads .buildpacks when BUILDPACK_URL is heroku-buildpack-multi's URL", async () => {
    expect(isMultiBuildpackUrl('https://github.com/heroku/heroku-buildpack-multi.git')).toBe(true);
    expect(isMultiBuildpackUrl('https://github.com/ddollar/heroku-buildpack-multi')).toBe(true);
    expect(isMultiBuildpackUrl('https://github.com/heroku/heroku-buildpack-nodejs')).toBe(false);
    const one = makeBuildpack(tempDir(), { detect: 'echo One' });
    const src = writeTree(tempDir(), { '.buildpacks': `${one}\n` });
    const b = buildOptions(src, {
      env: { BUILDPACK_URL: 'https://github.com/heroku/heroku-buildpack-multi.git' },
    });
    const r = await runBuild(b.opts);
    expect(r.buildpacks).toEqual([{ url: one, name: 'One' }]);
  });

  it("the app's explicit list wins over BUILDPACK_URL and .buildpacks", async () => {
    const one = makeBuildpack(tempDir(), { detect: 'echo One' });
    const two = makeBuildpack(tempDir(), { detect: 'echo Two' });
    const src = writeTree(tempDir(), { '.buildpacks': `${two}\n` });
    const r = await runBuild(buildOptions(src, { buildpacks: [one], env: { BUILDPACK_URL: two } }).opts);
    expect(r.buildpacks.map((x) => x.name)).toEqual(['One']);
    const r2 = await runBuild(buildOptions(src, { env: { BUILDPACK_URL: one } }).opts);
    expect(r2.buildpacks.map((x) => x.name)).toEqual(['One']);
  });
});
