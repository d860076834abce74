// The static built-in: detected by static.json, served by a small node server on $PORT.
import { afterAll, describe, expect, it } from 'vitest';
import { runBuild } from '../../../buildpacks/runner/index.ts';
import { buildOptions, cleanupTemp, extractSlug, nodePath, tempDir, writeTree } from './helpers.ts';
import { withRunning } from './run-slug.ts';

afterAll(cleanupTemp);

describe('static built-in', () => {
  it('is auto-detected by static.json and serves its root with clean URLs and an error page', async () => {
    const PATH = nodePath();
    const src = writeTree(tempDir(), {
      'static.json': JSON.stringify({ root: 'site/', clean_urls: true, error_page: '404.html' }),
      'site/index.html': '<h1>home</h1>',
      'site/about.html': '<h1>about</h1>',
      'site/404.html': 'nothing here',
      'secret.txt': 'outside the root',
    });
    const b = buildOptions(src, { path: PATH });
    const r = await runBuild(b.opts);
    expect(b.lines).toContain('-----> Static HTML app detected');
    expect(r.processTypes).toEqual({ web: 'node .wharf/static/server.js' });
    const got = await withRunning(extractSlug(r.slugPath), r.processTypes.web!, {}, PATH, async (base) => {
      const get = async (p: string) => {
        const res = await fetch(`${base}${p}`);
        return [res.status, await res.text(), res.headers.get('content-type')];
      };
      return [await get('/'), await get('/about'), await get('/nope'), await get('/../secret.txt')];
    });
    expect(got).toEqual([
      [200, '<h1>home</h1>', 'text/html; charset=utf-8'],
      [200, '<h1>about</h1>', 'text/html; charset=utf-8'],
      [404, 'nothing here', 'text/html; charset=utf-8'],
      [404, 'nothing here', 'text/html; charset=utf-8'],
    ]);
  });

  it('fails when static.json names a root that does not exist', async () => {
    const b = buildOptions(writeTree(tempDir(), { 'static.json': '{"root": "dist/"}' }), {
      path: nodePath(),
    });
    await expect(runBuild(b.opts)).rejects.toMatchObject({ phase: 'compile', buildpack: 'builtin:static' });
    expect(b.lines.some((l) => l.includes('static.json root "dist/" is not a directory'))).toBe(true);
  });
});
