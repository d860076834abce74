// BUILDPACKS.md "Cases a compatible runner passes": 1-7 and 13-17 (fetching cases are in fetch-cases.test.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BuildError,
  launchCommand,
  parseBuildpacksFile,
  releaseEnv,
  runBuild,
} from '../../../buildpacks/runner/index.ts';
import {
  buildOptions,
  cleanupTemp,
  commitAll,
  extractSlug,
  gitInit,
  makeBuildpack,
  slugEntries,
  tempDir,
  writeTree,
} from './helpers.ts';

afterAll(cleanupTemp);

function source(files: Record<string, string> = { README: 'hi\n' }): string {
  return writeTree(tempDir('wharf-src-'), files);
}

function runInSlug(slugDir: string, command: string, env: Record<string, string>, port = 5123): string {
  const l = launchCommand(slugDir, command, { env, port });
  return execFileSync(l.file, l.args, {
    cwd: l.cwd,
    env: { PATH: process.env.PATH ?? '', ...l.env },
    encoding: 'utf8',
  });
}

describe('case 1: detect', () => {
  it('names the buildpack by its trimmed detect output', async () => {
    const bp = makeBuildpack(tempDir(), { detect: 'printf "  Foo \\n"' });
    const b = buildOptions(source(), { buildpacks: [bp] });
    const r = await runBuild(b.opts);
    expect(r.buildpacks).toEqual([{ url: bp, name: 'Foo' }]);
    expect(b.lines).toContain('-----> Foo app detected');
  });

  it('fails the build when an explicitly chosen buildpack does not detect (exit 1)', async () => {
    const bp = makeBuildpack(tempDir(), { detect: 'exit 1' });
    const b = buildOptions(source(), { buildpacks: [bp] });
    const err = await runBuild(b.opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BuildError);
    expect((err as BuildError).phase).toBe('detect');
    expect((err as BuildError).buildpack).toBe(bp);
    expect(b.lines.at(-1)).toMatch(/^!\s+Build failed: buildpack .* failed at detect/);
    expect(existsSync(b.opts.slugPath)).toBe(false);
  });

  it('skips a built-in that does not detect when auto-detecting (nodejs exits 1, procfile wins)', async () => {
    const b = buildOptions(source({ Procfile: 'web: sleep 1\n' }));
    const r = await runBuild(b.opts);
    expect(r.buildpacks.map((x) => x.name)).toEqual(['Procfile']);
  });
});

describe('case 2: ENV_DIR', () => {
  it('writes config vars to ENV_DIR files and does not export them into compile', async () => {
    const bp = makeBuildpack(tempDir(), {
      compile:
        'cat "$3/FOO" > "$1/from-env-dir"; echo "$(printenv FOO || echo unset)" > "$1/exported"; ls "$3" > "$1/env-files"',
    });
    const b = buildOptions(source(), { buildpacks: [bp], env: { FOO: 'bar', OTHER: 'x y' } });
    const r = await runBuild(b.opts);
    const app = extractSlug(r.slugPath);
    expect(readFileSync(path.join(app, 'from-env-dir'), 'utf8')).toBe('bar');
    expect(readFileSync(path.join(app, 'exported'), 'utf8')).toBe('unset\n');
    expect(readFileSync(path.join(app, 'env-files'), 'utf8')).toBe('FOO\nOTHER\n');
  });
});

describe('case 3: export chaining', () => {
  it("gives B's compile the variables A wrote to its export file", async () => {
    const a = makeBuildpack(tempDir(), { compile: 'echo "export X=1" > "$(dirname "$0")/../export"' });
    const bb = makeBuildpack(tempDir(), { compile: 'echo "$(printenv X || echo unset)" > "$1/x.txt"' });
    const b = buildOptions(source(), { buildpacks: [a, bb] });
    const app = extractSlug((await runBuild(b.opts)).slugPath);
    expect(readFileSync(path.join(app, 'x.txt'), 'utf8')).toBe('1\n');
  });
});

describe('case 4: no bin/release', () => {
  it('succeeds with no default process types', async () => {
    const bp = makeBuildpack(tempDir(), { release: null });
    const r = await runBuild(buildOptions(source(), { buildpacks: [bp] }).opts);
    expect(r.processTypes).toEqual({});
    expect(r.configDefaults).toEqual({});
  });
});

describe('case 5: Procfile over defaults', () => {
  it('overlays Procfile entries on the buildpacks defaults per process type', async () => {
    const bp = makeBuildpack(tempDir(), {
      release: 'printf -- "---\\ndefault_process_types:\\n  web: a\\n  worker: b\\naddons: [x]\\n"',
    });
    const later = makeBuildpack(tempDir(), {
      release: 'printf -- "---\\ndefault_process_types:\\n  clock: d\\naddons: [x, y]\\n"',
    });
    const r = await runBuild(
      buildOptions(source({ Procfile: 'web: c\n' }), { buildpacks: [bp, later] }).opts,
    );
    expect(r.processTypes).toEqual({ web: 'c', worker: 'b', clock: 'd' });
    expect(r.addons).toEqual(['x', 'y']);
  });
});

describe('case 6: config_vars are defaults', () => {
  it("lets the user's K=u win over a buildpack's K=v at run time", async () => {
    const bp = makeBuildpack(tempDir(), {
      release: 'printf -- "---\\nconfig_vars:\\n  K: v\\n  L: dflt\\n"',
    });
    const r = await runBuild(buildOptions(source(), { buildpacks: [bp], env: { K: 'u' } }).opts);
    expect(r.configDefaults).toEqual({ K: 'v', L: 'dflt' });
    const out = runInSlug(extractSlug(r.slugPath), 'echo "$K $L"', releaseEnv(r.configDefaults, { K: 'u' }));
    expect(out).toBe('u dflt\n');
  });
});

describe('case 7: .buildpacks parsing', () => {
  it('keeps exactly the listed references from a file with CRLF, blanks and comments', () => {
    const text =
      '# my buildpacks\r\n\r\n  https://example.com/a.git#v1  \r\n\r\n# second\r\nheroku/nodejs\r\n   \r\n';
    expect(parseBuildpacksFile(text)).toEqual(['https://example.com/a.git#v1', 'heroku/nodejs']);
  });

  it('builds with the buildpacks a CRLF .buildpacks lists, in order', async () => {
    const one = makeBuildpack(tempDir(), { detect: 'echo One', compile: 'echo one >> "$1/order"' });
    const two = makeBuildpack(tempDir(), { detect: 'echo Two', compile: 'echo two >> "$1/order"' });
    const src = source({ '.buildpacks': `# chain\r\n\r\n${one}\r\n  ${two}  \r\n# end\r\n` });
    const r = await runBuild(buildOptions(src).opts);
    expect(r.buildpacks.map((x) => [x.url, x.name])).toEqual([
      [one, 'One'],
      [two, 'Two'],
    ]);
    expect(readFileSync(path.join(extractSlug(r.slugPath), 'order'), 'utf8')).toBe('one\ntwo\n');
  });
});

describe('case 13: .slugignore', () => {
  it('removes `foo` and `/bar` before detect and ignores comment lines', async () => {
    const bp = makeBuildpack(tempDir(), {
      detect: '[[ ! -e "$1/foo" && ! -e "$1/bar" && -e "$1/baz" ]] && echo Clean',
    });
    const src = source({
      '.slugignore': '# baz\nfoo\r\n/bar\n\n*.log\n',
      foo: 'x',
      'bar/inner': 'x',
      baz: 'kept',
      'sub/foo': 'nested, kept: patterns are root-relative',
      'debug.log': 'x',
    });
    const r = await runBuild(buildOptions(src, { buildpacks: [bp] }).opts);
    const entries = slugEntries(r.slugPath);
    expect(entries).toContain('./app/baz');
    expect(entries).toContain('./app/sub/foo');
    expect(entries.filter((e) => /^\.\/app\/(foo|bar|debug\.log)/.test(e))).toEqual([]);
    expect(existsSync(path.join(src, 'foo'))).toBe(true);
  });
});

describe('case 14: build environment', () => {
  it('sets STACK, SOURCE_VERSION, HOME and REQUEST_ID and unsets GIT_DIR', async () => {
    const before = process.env.GIT_DIR;
    process.env.GIT_DIR = '/nonexistent/.git';
    try {
      const bp = makeBuildpack(tempDir(), {
        compile:
          'echo "$STACK|$SOURCE_VERSION|$REQUEST_ID|$(printenv GIT_DIR || echo unset)|$PWD|$1" > "$1/env.txt"; [[ -d "$HOME" ]]',
      });
      const b = buildOptions(source(), { buildpacks: [bp], sourceVersion: 'deadbeef', requestId: 'req-42' });
      const r = await runBuild(b.opts);
      const [stack, sv, req, gitDir, pwd, buildDir] = readFileSync(
        path.join(extractSlug(r.slugPath), 'env.txt'),
        'utf8',
      )
        .trim()
        .split('|');
      expect([stack, sv, req, gitDir]).toEqual(['wharf-24', 'deadbeef', 'req-42', 'unset']);
      expect(pwd).toBe(buildDir);
    } finally {
      if (before === undefined) delete process.env.GIT_DIR;
      else process.env.GIT_DIR = before;
    }
  });
});

describe('case 15: buildpacks writing to /app', () => {
  const compile = [
    'mkdir -p /app/.heroku/x',
    'echo "$(cat "$3/ID")" > /app/.heroku/x/file',
    'ln -s /app/.heroku/x "$1/x"',
    'sleep 0.3',
    '[[ "$(cat "$1/x/file")" == "$(cat "$3/ID")" ]]',
  ].join('\n');

  it('succeeds when compile symlinks $BUILD_DIR/x to /app/.heroku/x, and two such builds run at once', async () => {
    const bp = makeBuildpack(tempDir(), { compile });
    const builds = ['one', 'two'].map((id) => buildOptions(source(), { buildpacks: [bp], env: { ID: id } }));
    const results = await Promise.all(builds.map((b) => runBuild(b.opts)));
    for (const [i, r] of results.entries()) {
      expect(r.isolation).not.toBe('none');
      const app = extractSlug(r.slugPath);
      expect(readlinkSync(path.join(app, 'x'))).toBe('/app/.heroku/x');
      expect(readFileSync(path.join(app, '.heroku/x/file'), 'utf8')).toBe(`${['one', 'two'][i]}\n`);
    }
    expect(existsSync('/app/.heroku/x/file')).toBe(false);
  });
});

describe('case 15 with each mount namespace tool', () => {
  for (const isolation of ['bwrap', 'unshare'] as const) {
    it(`runs compile with the build dir at /app through ${isolation}`, async () => {
      const bp = makeBuildpack(tempDir(), {
        compile:
          'mkdir -p /app/.heroku/x && echo own > /app/.heroku/x/file && ln -s /app/.heroku/x "$1/x"; [[ "$1" == /app && "$PWD" == /app ]]',
      });
      const r = await runBuild(buildOptions(source(), { buildpacks: [bp], isolation }).opts);
      expect(r.isolation).toBe(isolation);
      expect(readFileSync(path.join(extractSlug(r.slugPath), '.heroku/x/file'), 'utf8')).toBe('own\n');
      expect(existsSync('/app/.heroku/x/file')).toBe(false);
    });
  }
});

describe('case 15 without a mount namespace', () => {
  it('builds at /app itself when /app is free (app-dir, as in a CodeBuild container), then empties it', async () => {
    const bp = makeBuildpack(tempDir(), {
      compile:
        'mkdir -p /app/.heroku/x && echo own > /app/.heroku/x/file && ln -s /app/.heroku/x "$1/x"; [[ "$1" == /app ]]',
    });
    const r = await runBuild(buildOptions(source(), { buildpacks: [bp], isolation: 'app-dir' }).opts);
    expect(r.isolation).toBe('app-dir');
    const app = extractSlug(r.slugPath);
    expect(readFileSync(path.join(app, '.heroku/x/file'), 'utf8')).toBe('own\n');
    expect(readdirSync('/app')).toEqual([]);
  });

  it('builds elsewhere with a warning when nothing can put the build at /app', async () => {
    const bp = makeBuildpack(tempDir(), { compile: 'echo "$1" > "$1/build-dir"' });
    const b = buildOptions(source(), { buildpacks: [bp], isolation: 'none' });
    const r = await runBuild(b.opts);
    expect(r.isolation).toBe('none');
    expect(b.lines.some((l) => l.includes('no private mount namespace'))).toBe(true);
    expect(readFileSync(path.join(extractSlug(r.slugPath), 'build-dir'), 'utf8')).toBe(
      `${b.opts.workDir}/app\n`,
    );
  });
});

describe('case 16: slug layout', () => {
  it('puts every entry under ./app/, leaves out the root .git and keeps a nested .git', async () => {
    const src = source({
      'index.txt': 'x',
      'vendor/lib/.git/HEAD': 'ref: refs/heads/main\n',
      'vendor/lib/a': 'a',
    });
    gitInit(src);
    commitAll(src, 'init');
    const bp = makeBuildpack(tempDir(), {});
    const r = await runBuild(buildOptions(src, { buildpacks: [bp] }).opts);
    const entries = slugEntries(r.slugPath);
    expect(entries.every((e) => e === './app/' || e.startsWith('./app/'))).toBe(true);
    expect(entries.filter((e) => e.startsWith('./app/.git'))).toEqual([]);
    expect(entries).toContain('./app/vendor/lib/.git/HEAD');
    expect(entries).toContain('./app/index.txt');
    expect(r.slugSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.slugBytes).toBe(lstatSync(r.slugPath).size);
  });
});

describe('case 17: run time', () => {
  it('sources .profile.d scripts (which see config vars and PORT), then .profile, then runs through bash -c', async () => {
    const src = source({
      Procfile: 'web: echo "$GREETING"\n',
      '.profile.d/10-a.sh': 'export FROM_A="$K:$PORT"\n',
      '.profile.d/20-b.sh': 'export FROM_B="$FROM_A+b"\n',
      '.profile': 'export FROM_PROFILE="$FROM_B+profile"\n',
    });
    const r = await runBuild(buildOptions(src).opts);
    const app = extractSlug(r.slugPath);
    const command = 'printf "%s\\n" "$FROM_PROFILE" "$PWD" "$HOME" "$BASH_EXECUTION_STRING"';
    const out = runInSlug(app, command, { K: 'config-var' }, 6000);
    expect(out.trim().split('\n')).toEqual(['config-var:6000+b+profile', app, app, command]);
    expect(r.processTypes).toEqual({ web: 'echo "$GREETING"' });
  });
});
