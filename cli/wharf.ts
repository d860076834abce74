#!/usr/bin/env node
/** The `wharf` CLI. Every command but `up` talks to the platform through the API client. */
import { isWharfError } from '../core/errors.ts';
import { parseArgs } from './args.ts';
import { autoscale } from './commands/autoscale.ts';
import { apps, create, destroy, info, remote } from './commands/apps.ts';
import { build, builds, deploy } from './commands/builds.ts';
import { env, release, route } from './commands/config.ts';
import { pg, redis } from './commands/consoles.ts';
import { health } from './commands/health.ts';
import { login, logout } from './commands/login.ts';
import { events, log } from './commands/logs.ts';
import { ps, resize, restart, run, scale } from './commands/processes.ts';
import { resource } from './commands/resources.ts';
import type { Command, Io } from './commands/types.ts';
import { up } from './commands/up.ts';
import { webhook } from './commands/webhook.ts';
import { clientFor, resolveApp } from './config.ts';
import { makeOut } from './output.ts';
import { respell, SPELLINGS, suggest } from './spellings.ts';
import { type Remote, resolveRemote } from './remote.ts';

const COMMANDS: Record<string, Command> = {
  up,
  login,
  logout,
  create,
  remote,
  apps,
  info,
  destroy,
  env,
  scale,
  resize,
  limit: resize,
  autoscale,
  ps,
  restart,
  release,
  releases: release,
  route,
  routes: route,
  log,
  logs: log,
  run,
  deploy,
  events,
  builds,
  build,
  resource,
  resources: resource,
  pg,
  redis,
  health,
  webhook,
};

const SPEC = {
  values: [
    ['app', 'a'],
    ['type', 't'],
    ['process', 'p'],
    ['instance', 'i'],
    ['lines', 'n'],
    ['as'],
    ['resource'],
    ['data-dir'],
    ['api-port'],
    ['router-port'],
    ['dns-port'],
    ['http'],
    ['status'],
    ['interval'],
    ['timeout'],
    ['threshold'],
    ['start-timeout'],
    ['min'],
    ['max'],
    ['cpu'],
    ['requests'],
    ['profile'],
    ['region'],
    ['secret'],
  ],
  booleans: [
    ['json'],
    ['yes', 'y'],
    ['follow', 'f'],
    ['reveal'],
    ['leader'],
    ['sticky'],
    ['no-remote'],
    ['no-stdin'],
    ['tty'],
    ['no-tty'],
    ['detach', 'd'],
    ['tcp'],
    ['off'],
    ['keep-data'],
    ['drop-data'],
    ['default'],
    ['aws'],
    ['help', 'h'],
  ],
};

function help(): string {
  const lines = ['wharf: a Flynn-style platform on one machine or on AWS', '', 'Commands:'];
  const seen = new Set<Command>();
  for (const c of Object.values(COMMANDS)) {
    if (seen.has(c)) continue;
    seen.add(c);
    lines.push(`  ${c.usage}`, `      ${c.summary}`);
  }
  lines.push(
    '',
    `Heroku's and Dokku's spellings work too: ${Object.keys(SPELLINGS).join(', ')}.`,
    'Every read command takes --json. Data goes to stdout, progress to stderr.',
    '',
  );
  return lines.join('\n');
}

const processIo = (): Io => ({
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
});

/** Runs one command line; resolves to its exit code. Tests call it in process with their own io. */
export async function main(argv: string[], given: Partial<Io> = {}): Promise<number> {
  const io: Io = { ...processIo(), ...given };
  const [name, ...rest] = respell(argv);
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(help());
    return name ? 0 : 1;
  }
  const command = COMMANDS[name];
  if (!command) {
    const near = suggest(name, [...Object.keys(COMMANDS), ...Object.keys(SPELLINGS)]);
    io.stderr.write(
      `wharf: unknown command "${name}"${near ? `: did you mean \`wharf ${near}\`?` : ''} (see \`wharf help\`)\n`,
    );
    return 2;
  }
  try {
    const args = parseArgs(rest, SPEC);
    if (args.flags.has('help')) {
      io.stdout.write(`${command.usage}\n    ${command.summary}\n`);
      return 0;
    }
    const out = makeOut(args.flags.has('json'), io.stdout, io.stderr);
    let remote: Remote | null = null;
    const getRemote = () => {
      remote ??= resolveRemote(io.env);
      return remote;
    };
    return await command.run({
      args,
      out,
      env: io.env,
      io,
      remote: getRemote,
      client: () => clientFor(getRemote()),
      app: () => resolveApp(args.flags.get('app'), io.env, io.cwd),
    });
  } catch (e) {
    const message = isWharfError(e) ? e.message : e instanceof Error ? e.message : String(e);
    io.stderr.write(` !     ${message}\n`);
    const details = isWharfError(e) ? (e.details as { lastLines?: string[] } | undefined) : undefined;
    for (const l of details?.lastLines ?? []) io.stderr.write(` !       ${l}\n`);
    return 1;
  }
}

// Run only as the program (bin/wharf, `node cli/wharf.ts`), not when a test imports main.
if (import.meta.main) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // `up` has stopped every server and child by now; timers of libraries must not keep it alive
      if (process.argv[2] === 'up') process.exit(code);
    },
    (e: unknown) => {
      process.stderr.write(` !     ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
