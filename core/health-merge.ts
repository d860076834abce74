import type { HealthCheck } from './domain.ts';

/** Configured checks overlay the app's; a null entry removes a type's check (its default applies). */
export function mergeHealth(
  current: Readonly<Record<string, HealthCheck>>,
  configured: Readonly<Record<string, HealthCheck | null>>,
): Record<string, HealthCheck> {
  const out: Record<string, HealthCheck> = { ...current };
  for (const [type, check] of Object.entries(configured)) {
    if (check) out[type] = check;
    else delete out[type];
  }
  return out;
}
