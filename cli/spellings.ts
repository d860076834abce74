/**
 * Heroku's and Dokku's spellings of Wharf's commands (`config:set`, `ps:scale`,
 * `addons:create`, …), so that the commands in their docs and in people's fingers work,
 * and a suggestion for a mistyped command.
 */

/** topic:command → Wharf's command words; the rest of the line follows them */
export const SPELLINGS: Readonly<Record<string, readonly string[]>> = {
  config: ['env'],
  'config:set': ['env', 'set'],
  'config:unset': ['env', 'unset'],
  'ps:scale': ['scale'],
  'ps:restart': ['restart'],
  'ps:resize': ['resize'],
  rollback: ['release', 'rollback'],
  'releases:rollback': ['release', 'rollback'],
  'releases:info': ['release', 'show'],
  domains: ['route', 'list'],
  'domains:add': ['route', 'add'],
  addons: ['resource', 'list'],
  'addons:create': ['resource', 'add'],
  'addons:info': ['resource', 'info'],
  'addons:destroy': ['resource', 'remove'],
  'apps:create': ['create'],
  'apps:info': ['info'],
  'apps:destroy': ['destroy'],
  'logs:tail': ['log', '-f'],
  'run:detached': ['run', '--detach'],
  'pg:psql': ['pg', 'psql'],
  'redis:cli': ['redis', 'cli'],
};

/** The command line with a Heroku/Dokku spelling rewritten to Wharf's; others unchanged. */
export function respell(argv: readonly string[]): string[] {
  const [name, ...rest] = argv;
  const words = name === undefined ? undefined : SPELLINGS[name];
  return words ? [...words, ...rest] : [...argv];
}

/** Edit distance with swapped neighbours counting once (optimal string alignment): typos. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** The known command closest to `name`, when it is close enough to be a typo. */
export function suggest(name: string, known: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : null;
}
