import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { BuildError } from './errors.ts';

const LINE_RE = /^([A-Za-z0-9_-]+)[ \t]*:[ \t]*(.*)$/;

/** `type: command` lines; blank and `#` lines skipped; anything else fails with its line number. */
export function parseProcfile(text: string): Record<string, string> {
  const types: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const m = LINE_RE.exec(line.trim());
    if (!m || m[2]!.trim() === '') {
      throw new BuildError(
        'procfile',
        `Procfile line ${i + 1} is malformed: ${JSON.stringify(line)}; each line must read \`type: command\` (type of letters, digits, _ or -)`,
      );
    }
    types[m[1]!] = m[2]!.trim();
  }
  return types;
}

export async function readProcfile(buildDir: string): Promise<Record<string, string> | null> {
  let text: string;
  try {
    text = await readFile(path.join(buildDir, 'Procfile'), 'utf8');
  } catch {
    return null;
  }
  return parseProcfile(text);
}
