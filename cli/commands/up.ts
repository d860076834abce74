import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dataDir } from '../config.ts';
import type { Command } from './types.ts';

function port(value: string | true | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--${flag} must be a port number from 0 to 65535, got "${String(value)}"`);
  return n;
}

export const up: Command = {
  usage: 'wharf up [--data-dir DIR] [--api-port N] [--router-port N] [--dns-port N]',
  summary: 'run the whole platform on this machine (Ctrl-C stops it and everything it started)',
  async run({ args, out, env }) {
    const dir =
      typeof args.flags.get('data-dir') === 'string' ? (args.flags.get('data-dir') as string) : dataDir(env);
    const t0 = Date.now();
    out.progress(`-----> Starting Wharf in ${dir}`);
    // the whole platform (SQLite, supervisor, router, builds) loads only for `up`: other commands start fast
    const { startPlatform } = await import('../../local/platform.ts');
    const platform = await startPlatform({
      dataDir: dir,
      apiPort: port(args.flags.get('api-port'), 7070, 'api-port'),
      routerPort: port(args.flags.get('router-port'), 8080, 'router-port'),
      dnsPort: port(args.flags.get('dns-port'), 0, 'dns-port'),
      log: (l) => out.progress(l),
    });
    const endpoints = {
      apiUrl: platform.apiUrl,
      routerUrl: platform.routerUrl,
      dns: platform.dns,
      dataDir: dir,
    };
    // written whole, then renamed: a CLI or test polling for the file never reads it half-written
    const file = join(dir, 'endpoint.json');
    writeFileSync(`${file}.${process.pid}.tmp`, JSON.stringify(endpoints));
    renameSync(`${file}.${process.pid}.tmp`, file);
    out.progress(`-----> Ready in ${Date.now() - t0} ms`);
    out.data(endpoints, () =>
      [
        `API:       ${platform.apiUrl}  (token in ${platform.tokenFile})`,
        `Router:    ${platform.routerUrl}  (apps at http://<app>.localhost:${platform.routerPort}/)`,
        `DNS:       ${platform.dns}  (names under wharf.internal)`,
        '',
        'Next (see the README): cp -r examples/node-web /tmp/myapp && cd /tmp/myapp && git init -b main && git add . && git commit -m first',
        '                      wharf create myapp && git push wharf main',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    out.progress('-----> Stopping Wharf and every process it started');
    await platform.stop();
    return 0;
  },
};
