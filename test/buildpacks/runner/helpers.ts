import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunBuildOptions } from '../../../buildpacks/runner/index.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const NODE24 = path.join(REPO_ROOT, 'node_modules', 'node', 'bin', 'node');

const made: string[] = [];

export function tempDir(prefix = 'wharf-bp-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export function cleanupTemp(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}

export type Tree = Record<string, string | { content: string; mode: number }>;

export function writeTree(dir: string, files: Tree): string {
  for (const [rel, spec] of Object.entries(files)) {
    const p = path.join(dir, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    const { content, mode } = typeof spec === 'string' ? { content: spec, mode: 0o644 } : spec;
    writeFileSync(p, content);
    chmodSync(p, mode);
  }
  return dir;
}

/** A buildpack whose scripts are bash bodies; detect defaults to "applies, named Test". */
export function makeBuildpack(
  dir: string,
  scripts: { detect?: string; compile?: string; release?: string | null; extra?: Tree },
): string {
  const exe = (body: string) => ({
    content: `#!/usr/bin/env bash\nset -eo pipefail\n${body}\n`,
    mode: 0o755,
  });
  const files: Tree = {
    'bin/detect': exe(scripts.detect ?? 'echo Test'),
    'bin/compile': exe(scripts.compile ?? 'echo compiled'),
    ...(scripts.extra ?? {}),
  };
  if (scripts.release !== null) files['bin/release'] = exe(scripts.release ?? 'echo "--- {}"');
  return writeTree(dir, files);
}

/** PATH with Node 24 first (the system node is older), like the build machines' PATH. */
export function nodePath(): string {
  const dir = tempDir('wharf-node-');
  symlinkSync(NODE24, path.join(dir, 'node'));
  return `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`;
}

export interface TestBuild {
  opts: RunBuildOptions;
  lines: string[];
}

export function buildOptions(sourceDir: string, over: Partial<RunBuildOptions> = {}): TestBuild {
  const root = tempDir('wharf-build-');
  const lines: string[] = [];
  const opts: RunBuildOptions = {
    app: 'demo',
    sourceDir,
    sourceVersion: 'abc123',
    requestId: 'req-1',
    env: {},
    cacheDir: path.join(root, 'cache'),
    buildpackCacheDir: path.join(root, 'bpcache'),
    workDir: path.join(root, 'work'),
    slugPath: path.join(root, 'slug.tgz'),
    output: (l) => lines.push(l),
    allowFileProtocol: true,
    ...over,
  };
  return { opts, lines };
}

export function slugEntries(slugPath: string): string[] {
  return execFileSync('tar', ['-tzf', slugPath], { encoding: 'utf8' }).split('\n').filter(Boolean);
}

export function extractSlug(slugPath: string): string {
  const dir = tempDir('wharf-slug-');
  execFileSync('tar', ['-xzf', slugPath, '-C', dir]);
  return path.join(dir, 'app');
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'protocol.file.allow=always', ...args], {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  }).trim();
}

export function gitInit(dir: string): string {
  git(dir, 'init', '--quiet', '--initial-branch', 'main');
  return dir;
}

export function commitAll(dir: string, message: string): string {
  git(dir, 'add', '-A');
  git(dir, 'commit', '--quiet', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

/**
 * A small npm app: `ms` as a dependency, `escape-string-regexp` as a devDependency (pruned),
 * lifecycle scripts recording their order, and a web server on $PORT.
 */
export function nodeApp(extra: Tree = {}, pkg: Record<string, unknown> = {}): string {
  const dir = tempDir('wharf-nodeapp-');
  writeTree(dir, {
    'package.json': JSON.stringify(
      {
        name: 'demo',
        version: '1.0.0',
        private: true,
        engines: { node: '>=22' },
        scripts: {
          'heroku-prebuild': 'echo prebuild >> steps.txt',
          build: 'node build.js',
          'heroku-cleanup': 'echo cleanup >> steps.txt',
          start: 'node server.js',
        },
        dependencies: { ms: '2.1.3' },
        devDependencies: { 'escape-string-regexp': '4.0.0' },
        ...pkg,
      },
      null,
      2,
    ),
    'build.js': [
      "const fs = require('node:fs');",
      "const esc = require('escape-string-regexp');",
      "fs.appendFileSync('steps.txt', 'build\\n');",
      "fs.mkdirSync('dist', { recursive: true });",
      "fs.writeFileSync('dist/built.txt', esc('a.b') + ' ' + (process.env.CHAIN_X ?? 'no-chain'));",
    ].join('\n'),
    'server.js': [
      "const http = require('node:http');",
      "const fs = require('node:fs');",
      "const ms = require('ms');",
      'http',
      '  .createServer((req, res) => {',
      "    res.end([ms('2h'), fs.readFileSync('dist/built.txt', 'utf8'), process.env.NODE_ENV].join(' '));",
      '  })',
      "  .listen(Number(process.env.PORT), '127.0.0.1');",
    ].join('\n'),
    ...extra,
  });
  return dir;
}

/** Writes package-lock.json with the npm of the build machine (needs the npm registry). */
export function npmLock(dir: string, path_: string): void {
  execFileSync('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: dir,
    env: { ...process.env, PATH: path_, npm_config_cache: path.join(tempDir('wharf-npmcache-'), 'c') },
    stdio: 'ignore',
  });
}
