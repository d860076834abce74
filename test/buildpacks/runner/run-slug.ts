import { type ChildProcess, spawn } from 'node:child_process';
import { launchCommand } from '../../../buildpacks/runner/index.ts';
import { pickFreePort } from '../../../adapters/local/loopback-ports.ts';

/** Starts a process type from a slug dir as the supervisor would, and GETs / once it listens. */
export function startAndGet(slugDir: string, command: string, env: Record<string, string>, path: string) {
  return withRunning(slugDir, command, env, path, async (base) => (await fetch(`${base}/`)).text());
}

/** Starts a process type from a slug dir as the supervisor would; `use` runs once it answers HTTP. */
export async function withRunning<T>(
  slugDir: string,
  command: string,
  env: Record<string, string>,
  path: string,
  use: (base: string) => Promise<T>,
): Promise<T> {
  const port = await pickFreePort();
  const l = launchCommand(slugDir, command, { env: { PATH: path, ...env }, port });
  const child: ChildProcess = spawn(l.file, l.args, {
    cwd: l.cwd,
    env: l.env,
    detached: true,
    stdio: 'ignore',
  });
  try {
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await fetch(`http://127.0.0.1:${port}/`);
      } catch (e) {
        if (Date.now() > deadline || child.exitCode !== null) throw e;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      return await use(`http://127.0.0.1:${port}`);
    }
  } finally {
    if (child.pid) process.kill(-child.pid, 'SIGTERM');
  }
}
