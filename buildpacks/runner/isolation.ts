import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exec } from './exec.ts';
import type { IsolationMode } from './types.ts';

export const APP_DIR = '/app';

export type Isolation = Exclude<IsolationMode, 'auto'>;

/**
 * The command line that runs `file args` with `buildDir` mounted at /app in a private mount
 * namespace, so that buildpacks writing to absolute /app paths write into this build's dir
 * and two builds can run at once. The command starts in /app.
 */
export function wrapCommand(
  isolation: Isolation,
  buildDir: string,
  file: string,
  args: string[],
): { file: string; args: string[] } {
  switch (isolation) {
    case 'bwrap':
      return {
        file: 'bwrap',
        args: [
          '--bind',
          '/',
          '/',
          '--dev-bind',
          '/dev',
          '/dev',
          '--bind',
          buildDir,
          APP_DIR,
          '--chdir',
          APP_DIR,
          '--die-with-parent',
          '--',
          file,
          ...args,
        ],
      };
    case 'unshare':
      return {
        file: 'unshare',
        args: [
          '--mount',
          '--propagation',
          'private',
          '--',
          'bash',
          '-c',
          'mount --bind "$0" /app && cd /app && exec "$@"',
          buildDir,
          file,
          ...args,
        ],
      };
    case 'app-dir':
    case 'none':
      return { file, args };
  }
}

let probed: Promise<Isolation> | undefined;

/** The first of bubblewrap, unshare that really mounts a dir at /app here; else 'none'. Probed once. */
export function detectIsolation(): Promise<Isolation> {
  probed ??= probeAll();
  return probed;
}

async function probeAll(): Promise<Isolation> {
  for (const mode of ['bwrap', 'unshare'] as const) {
    if (await probe(mode)) return mode;
  }
  return 'none';
}

/** Makes sure the mount point exists; a private mount needs a directory to mount on. */
export async function ensureMountPoint(): Promise<boolean> {
  try {
    await mkdir(APP_DIR, { recursive: true });
    return true;
  } catch {
    return false;
  }
}

export async function probe(mode: Isolation): Promise<boolean> {
  if (mode === 'none') return true;
  if (!(await ensureMountPoint())) return false;
  const dir = await mkdtemp(path.join(tmpdir(), 'wharf-probe-'));
  try {
    const marker = `probe-${process.pid}-${Date.now()}`;
    await writeFile(path.join(dir, 'marker'), marker);
    const cmd = wrapCommand(mode, dir, 'cat', [path.join(APP_DIR, 'marker')]);
    const r = await exec(cmd.file, cmd.args, { captureStdout: true });
    return r.code === 0 && r.stdout.trim() === marker;
  } catch {
    return false;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const APP_DIR_LOCK = path.join(tmpdir(), 'wharf-app-dir.lock');

/**
 * Where no mount namespace can be made (a CodeBuild container without privileges), a build can
 * still run at /app itself when /app is free: absent or empty, and not claimed by another
 * build. Returns the release function, or null when /app is not free.
 */
export async function claimAppDir(): Promise<(() => Promise<void>) | null> {
  try {
    await mkdir(APP_DIR_LOCK);
  } catch {
    const owner = Number(await readFile(path.join(APP_DIR_LOCK, 'pid'), 'utf8').catch(() => 'NaN'));
    if (Number.isInteger(owner) && isAlive(owner)) return null;
    // the claimant died without releasing /app
    await rm(APP_DIR_LOCK, { recursive: true, force: true });
    try {
      await mkdir(APP_DIR_LOCK);
    } catch {
      return null;
    }
  }
  await writeFile(path.join(APP_DIR_LOCK, 'pid'), String(process.pid));
  const release = async () => {
    await emptyDir(APP_DIR);
    await rm(APP_DIR_LOCK, { recursive: true, force: true });
  };
  try {
    await mkdir(APP_DIR, { recursive: true });
    if ((await readdir(APP_DIR)).length === 0) return release;
  } catch {
    // /app cannot be made here
  }
  await rm(APP_DIR_LOCK, { recursive: true, force: true });
  return null;
}

export async function emptyDir(dir: string): Promise<void> {
  for (const e of await readdir(dir).catch(() => [] as string[])) {
    await rm(path.join(dir, e), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
