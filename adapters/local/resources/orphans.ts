/**
 * A platform killed without shutdown() leaves its servers running, holding their ports
 * and data dirs. Before a server starts, the one recorded in its dir is stopped, if that
 * pid still runs a command naming the dir (so a reused pid is left alone).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PID_FILE } from './supervisor.ts';
import { pidAlive } from '../run-command.ts';

async function commandLine(pid: number): Promise<string | null> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return null;
  }
}

export async function reapOrphan(dir: string): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(join(dir, PID_FILE), 'utf8')).trim());
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return false;
  const cmd = await commandLine(pid);
  if (!cmd?.includes(dir)) return false;
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; waited < 10_000 && pidAlive(pid); waited += 100) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
  for (let waited = 0; waited < 2_000 && pidAlive(pid); waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
