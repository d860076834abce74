import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { InstanceSpec } from '../../../core/ports.ts';

/** One running process, as written to disk so a later platform can find it. */
export interface InstanceRecord {
  readonly id: string;
  readonly pid: number;
  readonly pgid: number;
  /** /proc/PID/stat start time; null when the process was gone before it could be read */
  readonly startTime: string | null;
  readonly startedAt: string;
  readonly port: number;
  readonly spec: InstanceSpec;
}

interface StateDocument {
  readonly version: 1;
  readonly instances: readonly InstanceRecord[];
}

export class StateFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateFileError';
  }
}

/**
 * `<dataDir>/supervisor/instances.json`, replaced atomically (temp file + rename) so
 * a platform killed mid-write leaves the old list or the new one, never half of one.
 * Mode 0600: the specs carry the apps' config vars.
 */
export class StateFile {
  readonly path: string;

  constructor(dataDir: string) {
    this.path = join(dataDir, 'supervisor', 'instances.json');
  }

  read(): InstanceRecord[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new StateFileError(`could not read ${this.path}: check its permissions`, { cause: error });
    }
    try {
      const doc = JSON.parse(text) as StateDocument;
      return Array.isArray(doc.instances) ? [...doc.instances] : [];
    } catch (error) {
      throw new StateFileError(
        `${this.path} is not valid JSON: stop any processes it lists by hand, then delete it`,
        { cause: error },
      );
    }
  }

  write(records: readonly InstanceRecord[]): void {
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const doc: StateDocument = { version: 1, instances: records };
    const temp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(temp, JSON.stringify(doc, null, 1) + '\n', { mode: 0o600 });
    renameSync(temp, this.path);
  }
}
