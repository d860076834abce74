/** How streamed frames read on a terminal (push output, `wharf deploy`, `wharf run`). */
import type { StreamFrame } from './contract.ts';

export function formatFrame(frame: StreamFrame): string | null {
  if ('out' in frame) return `${frame.out}\n`;
  if ('err' in frame) return `${frame.err}\n`;
  if ('stdout' in frame) return Buffer.from(frame.stdout, 'base64').toString('utf8');
  if ('stderr' in frame) return Buffer.from(frame.stderr, 'base64').toString('utf8');
  if ('step' in frame) {
    const detail = frame.step.detail ? ` (${frame.step.detail})` : '';
    return `       ${frame.step.name.padEnd(8)} ${formatMs(frame.step.ms).padStart(8)}${detail}\n`;
  }
  if ('error' in frame) {
    const details = frame.error.details as { lastLines?: string[]; exitStatus?: number | null } | undefined;
    const lines = [` !     ${frame.error.message}`];
    if (details?.exitStatus !== undefined && details.exitStatus !== null)
      lines.push(` !     exit status ${details.exitStatus}`);
    if (details?.lastLines?.length) {
      lines.push(' !     last log lines of the failing instance:');
      for (const l of details.lastLines) lines.push(` !       ${l}`);
    }
    return `${lines.join('\n')}\n`;
  }
  return null;
}

export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}
