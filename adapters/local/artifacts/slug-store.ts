/**
 * ArtifactStore for slugs on disk: each slug is kept as its .tgz and unpacked once into
 * the directory instances run from (`file://<dir>`). Unpacked slugs are never changed.
 */
import { copyFile, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ArtifactStore } from '../../../core/ports.ts';
import { runCommand } from '../run-command.ts';

export class SlugStore implements ArtifactStore {
  private readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  async put(app: string, buildId: string, slugPath: string): Promise<string> {
    const base = join(this.dir, app, buildId);
    const unpacking = `${base}.unpacking`;
    await rm(unpacking, { recursive: true, force: true });
    await mkdir(unpacking, { recursive: true });
    await copyFile(slugPath, `${base}.tgz`);
    // the slug holds ./app/...; strip that folder so the dir is the app root
    await runCommand('tar', [
      '-xzf',
      `${base}.tgz`,
      '-C',
      unpacking,
      '--strip-components=2',
      '--no-same-owner',
    ]);
    await rm(base, { recursive: true, force: true });
    await rename(unpacking, base);
    return pathToFileURL(base).href;
  }

  async resolve(uri: string): Promise<string> {
    return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
  }

  async remove(uri: string): Promise<void> {
    const dir = await this.resolve(uri);
    await rm(dir, { recursive: true, force: true });
    await rm(`${dir}.tgz`, { force: true });
  }
}
