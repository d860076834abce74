/**
 * Process sizes: CPU and memory per process type. Wharf's AWS runtime is Fargate, so a
 * size must be one Fargate accepts; checking it here gives the same error on one machine
 * as on AWS, before anything is stored.
 */
import type { ProcessSize } from './domain.ts';
import { ValidationError } from './errors.ts';

export const DEFAULT_PROCESS_SIZE: ProcessSize = { cpu: 256, memory: 512 };

/** Fargate's CPU units → allowed memory range (MiB). */
const FARGATE: Readonly<Record<number, readonly [number, number]>> = {
  256: [512, 2048],
  512: [1024, 4096],
  1024: [2048, 8192],
  2048: [4096, 16384],
  4096: [8192, 30720],
  8192: [16384, 61440],
  16384: [32768, 122880],
};

/**
 * A size from text: CPU in vCPU ("0.25", "1", "2 vcpu"), memory as "512 MB" or "2 GB"
 * (MiB when no unit). `label` names where the values came from, for the error.
 * Memory absent: the smallest Fargate allows for the CPU (at least 512 MB).
 */
export function parseProcessSize(
  cpuText: string | undefined,
  memText: string | undefined,
  label: { cpu: string; memory: string } = { cpu: 'cpu', memory: 'memory' },
): ProcessSize {
  const cpu =
    cpuText === undefined
      ? DEFAULT_PROCESS_SIZE.cpu
      : Math.round(Number(String(cpuText).replace(/\s*vcpus?$/i, '')) * 1024);
  const range = FARGATE[cpu];
  if (!range) {
    throw new ValidationError(
      `${label.cpu} "${cpuText}" is not a Fargate size: use 0.25, 0.5, 1, 2, 4, 8 or 16 (vCPU)`,
    );
  }
  let memory = Math.max(DEFAULT_PROCESS_SIZE.memory, range[0]);
  if (memText !== undefined) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(MB|MiB|M|GB|GiB|G)?\s*$/i.exec(String(memText));
    if (!m) {
      throw new ValidationError(`${label.memory} "${memText}" is not a size: write it as "512 MB" or "2 GB"`);
    }
    memory = Math.round(Number(m[1]) * (/^g/i.test(m[2] ?? 'MB') ? 1024 : 1));
  }
  if (memory < range[0] || memory > range[1]) {
    throw new ValidationError(
      `${label.memory} ${memory} MB does not fit ${cpu / 1024} vCPU on Fargate: give ${range[0]}-${range[1]} MB`,
    );
  }
  return { cpu, memory };
}

/** `1 vCPU / 2048 MB` */
export function formatProcessSize(size: ProcessSize): string {
  return `${size.cpu / 1024} vCPU / ${size.memory} MB`;
}
