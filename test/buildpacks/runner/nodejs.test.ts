// The Node.js built-in on a real npm project: install, lifecycle scripts, prune, cache, run.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BuildError, releaseEnv, runBuild } from '../../../buildpacks/runner/index.ts';
import {
  buildOptions,
  cleanupTemp,
  extractSlug,
  nodeApp,
  nodePath,
  npmLock,
  tempDir,
  writeTree,
} from './helpers.ts';
import { startAndGet } from './run-slug.ts';

afterAll(cleanupTemp);

describe('Node.js built-in', { timeout: 240_000 }, () => {
  let PATH: string;
  let src: string;
  beforeAll(() => {
    PATH = nodePath();
    src = nodeApp();
    npmLock(src, PATH);
  });

  it('builds an npm project, and a second build reuses the npm cache offline', async () => {
    const cacheDir = path.join(tempDir('wharf-appcache-'), 'cache');
    const first = buildOptions(src, { path: PATH, cacheDir });
    const r1 = await runBuild(first.opts);
    expect(r1.cacheHit).toBe(false);
    expect(first.lines).toContain('-----> Node.js app detected');
    expect(first.lines).toContain('       npm cache: empty (first build)');
    expect(first.lines.some((l) => /^ {7}Using node v24\./.test(l))).toBe(true);
    expect(r1.buildpacks).toEqual([{ url: 'builtin:nodejs', name: 'Node.js' }]);
    expect(r1.processTypes).toEqual({ web: 'npm start' });

    const app = extractSlug(r1.slugPath);
    expect(readFileSync(path.join(app, 'steps.txt'), 'utf8')).toBe('prebuild\nbuild\ncleanup\n');
    expect(existsSync(path.join(app, 'node_modules/ms/package.json'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules/escape-string-regexp'))).toBe(false);
    expect(readFileSync(path.join(app, '.profile.d/nodejs.sh'), 'utf8')).toContain('$HOME/node_modules/.bin');
    expect(await startAndGet(app, r1.processTypes.web!, releaseEnv(r1.configDefaults, {}), PATH)).toBe(
      '7200000 a\\.b no-chain production',
    );

    // offline: npm may only use what the first build left in the app's cache
    const second = buildOptions(src, { path: PATH, cacheDir, env: { NPM_CONFIG_OFFLINE: 'true' } });
    const r2 = await runBuild(second.opts);
    expect(r2.cacheHit).toBe(true);
    expect(second.lines).toContain('       npm cache: found (from an earlier build)');
    expect(existsSync(path.join(extractSlug(r2.slugPath), 'node_modules/ms/package.json'))).toBe(true);
  });

  it('fails the offline build without a cache (the cache hit above is real)', async () => {
    const b = buildOptions(src, { path: PATH, env: { NPM_CONFIG_OFFLINE: 'true' } });
    const err = (await runBuild(b.opts).catch((e: unknown) => e)) as BuildError;
    expect(err).toBeInstanceOf(BuildError);
    expect([err.phase, err.buildpack]).toEqual(['compile', 'builtin:nodejs']);
  });

  it('fails with a clear message when engines.node does not match the build machine', async () => {
    const app = nodeApp({}, { engines: { node: '>=99' }, dependencies: {}, devDependencies: {} });
    const b = buildOptions(app, { path: PATH });
    await expect(runBuild(b.opts)).rejects.toBeInstanceOf(BuildError);
    const msg = b.lines.find((l) => l.includes('engines.node requires'));
    expect(msg).toMatch(/engines\.node requires ">=99" but the build machine has node v24\./);
    expect(b.lines.at(-1)).toBe(
      '!     Build failed: buildpack builtin:nodejs failed at compile (exit status 1)',
    );
  });

  it('fails when more than one lockfile is present', async () => {
    const app = nodeApp({ 'yarn.lock': '# yarn lockfile v1\n', 'package-lock.json': '{}' });
    const b = buildOptions(app, { path: PATH });
    await expect(runBuild(b.opts)).rejects.toBeInstanceOf(BuildError);
    expect(b.lines.some((l) => l.includes('more than one lockfile found (npm yarn)'))).toBe(true);
  });

  it('installs without a lockfile, and adds no web type without a start script or server.js', async () => {
    const app = writeTree(tempDir(), {
      'package.json': JSON.stringify({
        name: 'nolock',
        version: '1.0.0',
        scripts: { build: 'echo built > out' },
      }),
    });
    const b = buildOptions(app, { path: PATH, buildpacks: ['heroku/nodejs'] });
    const r = await runBuild(b.opts);
    expect(r.processTypes).toEqual({});
    expect(b.lines.some((l) => l.includes('No package-lock.json'))).toBe(true);
    expect(readFileSync(path.join(extractSlug(r.slugPath), 'out'), 'utf8')).toBe('built\n');
  });
});
