// WHARF_VENDOR_RUNTIME: the Node.js built-in copies node, npm (and yarn) into the slug's
// .heroku/node, so the slug runs where no node is installed (the AWS run image is plain Ubuntu).
// The slug is run here with a PATH that holds bash and sh only.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchCommand, runBuild } from '../../../buildpacks/runner/index.ts';
import {
  buildOptions,
  cleanupTemp,
  extractSlug,
  NODE24,
  nodePath,
  REPO_ROOT,
  tempDir,
  writeTree,
} from './helpers.ts';
import { startAndGet } from './run-slug.ts';

afterAll(cleanupTemp);

const CLI = path.join(REPO_ROOT, 'buildpacks', 'bin', 'wharf-build.ts');

/** A PATH of links to the few tools a launch needs, and no node, npm or yarn. */
function pathWithoutNode(): string {
  const dir = tempDir('wharf-nonode-');
  for (const tool of ['bash', 'sh']) {
    const found = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
    symlinkSync(found, path.join(dir, tool));
  }
  return dir;
}

/** Runs a command in the slug as a process type would run, with only `path` on PATH. */
function runInSlug(app: string, command: string, path_: string) {
  const l = launchCommand(app, command, { env: { PATH: path_ } });
  return spawnSync(l.file, l.args, { cwd: l.cwd, env: l.env, encoding: 'utf8' });
}

const SERVER = [
  "const http = require('node:http');",
  'http',
  '  .createServer((req, res) => {',
  '    res.end(JSON.stringify({ execPath: process.execPath, version: process.version, npm: process.env.npm_execpath }));',
  '  })',
  "  .listen(Number(process.env.PORT), '127.0.0.1');",
].join('\n');

describe('Node.js built-in vendoring node into the slug', { timeout: 240_000 }, () => {
  const PATH = nodePath();
  let noNode: string;
  beforeAll(() => {
    noNode = pathWithoutNode();
  });

  it('the bare PATH really has no node, npm or yarn on it', () => {
    const r = spawnSync('bash', ['-c', 'command -v node npm npx yarn; echo "status $?"'], {
      env: { PATH: noNode },
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('status 1\n');
  });

  it('wharf-build --vendor-runtime puts node and npm in .heroku/node; npm start serves with them', async () => {
    const src = writeTree(tempDir(), {
      'package.json': JSON.stringify({
        name: 'vendored',
        version: '1.0.0',
        engines: { node: '>=24' },
        scripts: { start: 'node server.js' },
      }),
      'package-lock.json': JSON.stringify({
        name: 'vendored',
        version: '1.0.0',
        lockfileVersion: 3,
        requires: true,
        packages: { '': { name: 'vendored', version: '1.0.0', engines: { node: '>=24' } } },
      }),
      'server.js': SERVER,
      // applied before detect: it cannot remove what compile adds
      '.slugignore': '/.heroku\n',
    });
    const { opts } = buildOptions(src);
    const result = path.join(tempDir(), 'result.json');
    const args = ['--app', 'demo', '--source', src, '--slug', opts.slugPath, '--cache', opts.cacheDir];
    args.push('--buildpack-cache', opts.buildpackCacheDir, '--work', opts.workDir, '--result', result);
    const r = spawnSync(NODE24, [CLI, ...args, '--vendor-runtime'], {
      encoding: 'utf8',
      env: { ...process.env, PATH },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^-----> Vendoring node v24\.\d+\.\d+ \(\d{2,3} MB\) into the slug$/m);
    expect(r.stdout).toMatch(
      /^ {7}npm \d+\.\d+\.\d+ -> \.heroku\/node\/lib\/node_modules\/npm \(npm, npx\)$/m,
    );
    const built = JSON.parse(readFileSync(result, 'utf8')) as { processTypes: Record<string, string> };
    expect(built.processTypes).toEqual({ web: 'npm start' });

    const app = extractSlug(opts.slugPath);
    const vendored = path.join(app, '.heroku', 'node', 'bin', 'node');
    expect(statSync(vendored).size).toBe(statSync(NODE24).size);
    expect(readFileSync(path.join(app, '.profile.d', 'nodejs.sh'), 'utf8')).toContain(
      'export PATH="$HOME/.heroku/node/bin:$HOME/node_modules/.bin:$PATH"',
    );

    const which = runInSlug(
      app,
      'command -v node npm npx; node --version; npm --version; npx --version',
      noNode,
    );
    expect(which.status, which.stderr).toBe(0);
    const lines = which.stdout.trim().split('\n');
    expect(lines.slice(0, 3)).toEqual(
      ['node', 'npm', 'npx'].map((c) => path.join(app, '.heroku/node/bin', c)),
    );
    expect(lines[3]).toMatch(/^v24\./);
    expect(lines[4]).toMatch(/^\d+\.\d+\.\d+$/);
    expect(lines[5]).toBe(lines[4]);

    const body = JSON.parse(await startAndGet(app, built.processTypes.web!, {}, noNode)) as Record<
      string,
      string
    >;
    expect(body.execPath).toBe(vendored);
    expect(body.version).toMatch(/^v24\./);
    expect(body.npm).toBe(path.join(app, '.heroku/node/lib/node_modules/npm/bin/npm-cli.js'));
  });

  it('vendors the yarn the app uses, with a shim that runs it on the vendored node', () => {
    // lib/vendor.cjs as bin/compile calls it, with yarn installed as bin/compile installs it
    // (the slug and .profile.d side is the same as for npm, above)
    const env = { ...process.env, PATH, npm_config_cache: path.join(tempDir(), 'npm') };
    const prefix = tempDir('wharf-yarn-');
    const install = ['install', '--global', '--prefix', prefix, '--no-audit', '--no-fund', 'yarn@1'];
    expect(spawnSync('npm', install, { env, encoding: 'utf8' }).status).toBe(0);
    const app = writeTree(tempDir(), { 'package.json': '{"name":"y","version":"1.0.0"}' });
    const bp = path.join(REPO_ROOT, 'buildpacks', 'builtin', 'nodejs', 'lib');
    const npmPath = spawnSync('bash', ['-c', 'command -v npm'], { env, encoding: 'utf8' }).stdout.trim();
    const vars = spawnSync(NODE24, [path.join(bp, 'inspect.cjs'), app, npmPath], { encoding: 'utf8' }).stdout;
    const npmDir = /^npm_dir='(.*)'$/m.exec(vars)?.[1];
    expect(npmDir && existsSync(path.join(npmDir, 'bin', 'npm-cli.js'))).toBe(true);

    const yarnPath = path.join(prefix, 'bin', 'yarn');
    const v = spawnSync(NODE24, [path.join(bp, 'vendor.cjs'), app, NODE24, npmDir!, yarnPath], {
      encoding: 'utf8',
    });
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toMatch(
      /^ {7}yarn 1\.\d+\.\d+ -> \.heroku\/node\/lib\/node_modules\/yarn \(yarn, yarnpkg\)$/m,
    );
    const bin = path.join(app, '.heroku', 'node', 'bin');
    const yarn = spawnSync(
      'bash',
      ['-c', 'command -v yarn; yarn --version; yarn --silent node -p process.execPath'],
      {
        env: { PATH: `${bin}:${noNode}`, HOME: app },
        cwd: app,
        encoding: 'utf8',
      },
    );
    expect(yarn.status, yarn.stderr).toBe(0);
    expect(yarn.stdout).toMatch(
      new RegExp(`^${path.join(bin, 'yarn')}\\n1\\.\\d+\\.\\d+\\n${path.join(bin, 'node')}\\n$`),
    );
  });

  it('leaves node out of the slug without the switch (local builds)', async () => {
    const src = writeTree(tempDir(), {
      'package.json': JSON.stringify({
        name: 'plain',
        version: '1.0.0',
        scripts: { start: 'node server.js' },
      }),
      'server.js': SERVER,
    });
    const b = buildOptions(src, { path: PATH });
    const r = await runBuild(b.opts);
    const app = extractSlug(r.slugPath);
    expect(existsSync(path.join(app, '.heroku'))).toBe(false);
    expect(b.lines.some((l) => l.includes('Vendoring'))).toBe(false);
    // without vendoring, the bare PATH cannot start it: the vendored run above is no accident
    const run = runInSlug(app, 'npm start', noNode);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/npm: (command )?not found/);
  });
});
