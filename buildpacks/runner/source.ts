import { lstat, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BuildError } from './errors.ts';
import { run } from './exec.ts';

/** Bytes of regular files under dir (symlinks counted as links), stopping once past `limit`. */
export async function treeSize(dir: string, limit = Number.POSITIVE_INFINITY): Promise<number> {
  let total = 0;
  const stack = [dir];
  while (stack.length > 0 && total <= limit) {
    const d = stack.pop()!;
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else total += (await lstat(p)).size;
    }
  }
  return total;
}

/** Copies the source into the build dir (preserving modes and symlinks); the source stays untouched. */
export async function copySource(sourceDir: string, buildDir: string, maxBytes?: number): Promise<void> {
  try {
    if (!(await lstat(sourceDir)).isDirectory()) throw new Error('not a directory');
  } catch (e) {
    throw new BuildError('source', `source ${sourceDir} is not a readable directory`, { cause: e });
  }
  if (maxBytes !== undefined) {
    const size = await treeSize(sourceDir, maxBytes);
    if (size > maxBytes) {
      throw new BuildError(
        'source',
        `source is larger than the limit of ${formatBytes(maxBytes)}; remove large files from the repository or exclude them`,
      );
    }
  }
  await run('cp', ['-a', `${sourceDir}/.`, buildDir]);
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KB`;
  return `${n} B`;
}

/** `.slugignore` patterns: root-relative globs, `#` comments, no `..`. */
export function parseSlugignore(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r/g, '').trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.replace(/^\/+/, '').replace(/\/+$/, ''))
    .filter((l) => l !== '' && !l.split('/').includes('..'));
}

/**
 * Removes what `.slugignore` lists, before detect. Bash expands each pattern from the build
 * dir's root (globstar for `**`, dotfiles included), so `foo` and `/foo` both mean ./foo.
 */
export async function applySlugignore(buildDir: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path.join(buildDir, '.slugignore'), 'utf8');
  } catch {
    return [];
  }
  const patterns = parseSlugignore(text);
  if (patterns.length === 0) return [];
  const script =
    'shopt -s globstar dotglob nullglob; IFS=$\'\\n\'; for p in "$@"; do for f in $p; do rm -rf -- "$f"; done; done';
  await run('bash', ['-c', script, 'slugignore', ...patterns], { cwd: buildDir });
  return patterns;
}
