/** SecretStore in one 0600 JSON file, written atomically. */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SecretStore } from '../../core/ports.ts';

export class FileSecretStore implements SecretStore {
  private readonly path: string;
  constructor(path: string) {
    this.path = path;
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  }
  private read(): Record<string, string> {
    return existsSync(this.path)
      ? (JSON.parse(readFileSync(this.path, 'utf8')) as Record<string, string>)
      : {};
  }
  private write(all: Record<string, string>): void {
    const tmp = `${this.path}.tmp`;
    writeFileSync(tmp, JSON.stringify(all), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }
  async get(name: string): Promise<string | null> {
    return this.read()[name] ?? null;
  }
  async put(name: string, value: string): Promise<void> {
    this.write({ ...this.read(), [name]: value });
  }
  async delete(name: string): Promise<void> {
    const all = this.read();
    delete all[name];
    this.write(all);
  }
}
