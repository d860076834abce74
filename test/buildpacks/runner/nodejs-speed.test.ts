// The Node.js built-in's shortcuts: one node start for the checks, no `npm ci` when there is
// nothing to install, no prune when nothing can be pruned; and the cases where each must not apply.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { releaseEnv, runBuild } from '../../../buildpacks/runner/index.ts';
import {
  buildOptions,
  cleanupTemp,
  extractSlug,
  NODE24,
  nodePath,
  npmLock,
  tempDir,
  writeTree,
} from './helpers.ts';
import { startAndGet } from './run-slug.ts';

afterAll(cleanupTemp);

const SERVER =
  "require('node:http').createServer((q, s) => s.end('up ' + process.env.NODE_ENV)).listen(Number(process.env.PORT), '127.0.0.1');";

function emptyLock(name: string) {
  return JSON.stringify({
    name,
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: { '': { name, version: '1.0.0' } },
  });
}

/** An app with package.json `pkg` (name and version added) and a lockfile written by npm. */
function lockedApp(pkg: Record<string, unknown>, PATH: string, extra: Record<string, string> = {}) {
  const dir = writeTree(tempDir('wharf-speed-'), {
    'package.json': JSON.stringify({ name: 'speed', version: '1.0.0', ...pkg }),
    'server.js': SERVER,
    ...extra,
  });
  npmLock(dir, PATH);
  return dir;
}

describe('Node.js built-in shortcuts', { timeout: 240_000 }, () => {
  const PATH = nodePath();

  it('starts node once and npm never for an app without dependencies, and it runs', async () => {
    // every node start (npm included: its script runs on `node` from PATH) is logged
    const log = path.join(tempDir(), 'node-starts');
    const bin = tempDir('wharf-countnode-');
    writeFileSync(path.join(bin, 'node'), `#!/bin/bash\necho "node $*" >> ${log}\nexec ${NODE24} "$@"\n`);
    chmodSync(path.join(bin, 'node'), 0o755);
    const src = writeTree(tempDir(), {
      'package.json': JSON.stringify({
        name: 'nodeps',
        version: '1.0.0',
        engines: { node: '>=20' },
        scripts: { start: 'node server.js' },
      }),
      'package-lock.json': emptyLock('nodeps'),
      'server.js': SERVER,
    });
    const b = buildOptions(src, { path: `${bin}:${PATH}` });
    const r = await runBuild(b.opts);
    expect(b.lines).toContain('       No dependencies in package.json or the lockfile: nothing to install');
    expect(b.lines).toContain('       Skipping (no node_modules)');
    expect(b.lines.some((l) => /^ {7}Using npm \d+\.\d+\.\d+$/.test(l))).toBe(true);
    const starts = readFileSync(log, 'utf8').trim().split('\n');
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatch(/^node \S+\/lib\/inspect\.cjs /);
    expect(r.processTypes).toEqual({ web: 'npm start' });
    const app = extractSlug(r.slugPath);
    expect(existsSync(path.join(app, 'node_modules'))).toBe(false);
    expect(await startAndGet(app, r.processTypes.web!, releaseEnv(r.configDefaults, {}), PATH)).toBe(
      'up production',
    );
  });

  it('still runs npm ci without dependencies when the app has an install script', async () => {
    const src = writeTree(tempDir(), {
      'package.json': JSON.stringify({
        name: 'hooks',
        version: '1.0.0',
        scripts: { postinstall: 'echo ran > postinstall.txt' },
      }),
      'package-lock.json': emptyLock('hooks'),
    });
    const b = buildOptions(src, { path: PATH });
    const r = await runBuild(b.opts);
    expect(b.lines.some((l) => l.includes('nothing to install'))).toBe(false);
    expect(readFileSync(path.join(extractSlug(r.slugPath), 'postinstall.txt'), 'utf8')).toBe('ran\n');
  });

  it('leaves it to npm ci when the lockfile lists packages package.json does not', async () => {
    const lock = JSON.parse(emptyLock('stale')) as { packages: Record<string, unknown> };
    lock.packages['node_modules/ms'] = {
      version: '2.1.3',
      resolved: 'https://registry.npmjs.org/ms/-/ms-2.1.3.tgz',
      integrity:
        'sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA==',
    };
    const src = writeTree(tempDir(), {
      'package.json': JSON.stringify({ name: 'stale', version: '1.0.0' }),
      'package-lock.json': JSON.stringify(lock),
    });
    const b = buildOptions(src, { path: PATH });
    await runBuild(b.opts);
    // npm ci ran (and, as npm does, installed nothing package.json asks for)
    expect(b.lines.some((l) => l.includes('nothing to install'))).toBe(false);
    expect(b.lines.some((l) => /^ {7}up to date/.test(l))).toBe(true);
  });

  it('skips the prune without devDependencies, keeping the dependencies', async () => {
    const src = lockedApp({ dependencies: { ms: '2.1.3' } }, PATH);
    const b = buildOptions(src, { path: PATH });
    const r = await runBuild(b.opts);
    expect(b.lines).toContain('       Skipping (no devDependencies in package.json)');
    expect(existsSync(path.join(extractSlug(r.slugPath), 'node_modules/ms/package.json'))).toBe(true);
  });

  it('prunes without devDependencies when the build added packages with npm', async () => {
    const src = lockedApp(
      {
        dependencies: { ms: '2.1.3' },
        scripts: { build: 'npm install --no-save --no-audit --no-fund escape-string-regexp@4.0.0' },
      },
      PATH,
    );
    const b = buildOptions(src, { path: PATH });
    const r = await runBuild(b.opts);
    expect(b.lines.some((l) => l.includes('Skipping (no devDependencies'))).toBe(false);
    const app = extractSlug(r.slugPath);
    expect(existsSync(path.join(app, 'node_modules/ms/package.json'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules/escape-string-regexp'))).toBe(false);
  });

  it('installs without devDependencies when no build script could use them', async () => {
    const src = lockedApp(
      {
        dependencies: { ms: '2.1.3' },
        devDependencies: { 'escape-string-regexp': '4.0.0' },
        scripts: { start: 'node server.js', 'heroku-cleanup': 'ls node_modules > cleanup.txt' },
      },
      PATH,
    );
    const b = buildOptions(src, { path: PATH });
    const r = await runBuild(b.opts);
    expect(b.lines).toContain('       No build script: installing without devDependencies');
    expect(b.lines).toContain('       Skipping (devDependencies were not installed)');
    const app = extractSlug(r.slugPath);
    expect(readFileSync(path.join(app, 'cleanup.txt'), 'utf8')).toBe('ms\n');
    expect(existsSync(path.join(app, 'node_modules/escape-string-regexp'))).toBe(false);
    expect(await startAndGet(app, r.processTypes.web!, {}, PATH)).toBe('up production');
  });

  it('installs devDependencies for the build and prunes them after', async () => {
    const src = lockedApp(
      {
        dependencies: { ms: '2.1.3' },
        devDependencies: { 'escape-string-regexp': '4.0.0' },
        scripts: { build: 'node -e "require(\'escape-string-regexp\')" && echo built > built.txt' },
      },
      PATH,
    );
    const b = buildOptions(src, { path: PATH });
    const r = await runBuild(b.opts);
    expect(b.lines.some((l) => l.includes('Skipping ('))).toBe(false);
    const app = extractSlug(r.slugPath);
    expect(readFileSync(path.join(app, 'built.txt'), 'utf8')).toBe('built\n');
    expect(existsSync(path.join(app, 'node_modules/ms/package.json'))).toBe(true);
    expect(existsSync(path.join(app, 'node_modules/escape-string-regexp'))).toBe(false);
  });
});
