/** redis-server with requirepass and an append-only file in the resource's dir. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connectionUrl } from '../../../core/resources/env.ts';
import type { LocalServerKind, ServerContext, ServerFacts } from './kind.ts';
import { LOOPBACK, tcpExchange } from './net.ts';
import { requireBinary } from './system.ts';

const APT = ['redis-server'];

function configFile(ctx: ServerContext): string {
  return join(ctx.dir, 'redis.conf');
}

/** The config holds the password, so it is written 0600 rather than passed on the command line. */
async function writeConfig(ctx: ServerContext, facts: ServerFacts): Promise<void> {
  const quoted = (s: string) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  const lines = [
    'bind 127.0.0.1',
    `port ${facts.port}`,
    'protected-mode yes',
    'daemonize no',
    `requirepass ${quoted(facts.password)}`,
    `dir ${quoted(join(ctx.dir, 'data'))}`,
    'appendonly yes',
    `appendfsync ${ctx.fastDurability ? 'no' : 'everysec'}`,
    'save ""',
    'loglevel warning',
    // keep the config path in the command line: orphan reaping recognises the server by it
    'set-proc-title no',
  ];
  await writeFile(configFile(ctx), `${lines.join('\n')}\n`, { mode: 0o600 });
}

export function redisKind(): LocalServerKind {
  return {
    checkInstalled: () => {
      requireBinary('redis-server', APT);
      return 'Redis';
    },

    async init(ctx, facts) {
      await mkdir(join(ctx.dir, 'data'), { recursive: true, mode: 0o700 });
      await writeConfig(ctx, facts);
    },

    command(ctx) {
      return { file: requireBinary('redis-server', APT), args: [configFile(ctx)] };
    },

    async ready(_ctx, facts) {
      const auth = `*2\r\n$4\r\nAUTH\r\n$${Buffer.byteLength(facts.password)}\r\n${facts.password}\r\n*1\r\n$4\r\nPING\r\n`;
      const answer = await tcpExchange(
        facts.port,
        auth,
        (b) => b.toString().includes('\r\n+PONG\r\n') || b.toString().startsWith('-'),
      );
      return answer.toString() === '+OK\r\n+PONG\r\n';
    },

    async afterFirstStart() {},

    envValues(facts) {
      return {
        url: connectionUrl('redis', {
          host: LOOPBACK,
          port: facts.port,
          user: 'default',
          password: facts.password,
        }),
      };
    },
  };
}
