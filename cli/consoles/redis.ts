/** `wharf redis cli`: redis-cli on the resource's REDIS_URL, the password passed as REDISCLI_AUTH. */
import { assertUsable, ConsoleEnvError, type ConsoleCommand } from './spawn.ts';

export function redisCliCommand(
  resourceEnv: Readonly<Record<string, string>>,
  args: readonly string[] = [],
): ConsoleCommand {
  const key = Object.keys(resourceEnv).find((k) => k.endsWith('REDIS_URL'));
  if (!key)
    throw new ConsoleEnvError('this resource has no REDIS_URL: `wharf redis cli` works with redis resources');
  const url = new URL(assertUsable(key, resourceEnv[key]));
  const user = decodeURIComponent(url.username);
  const password = decodeURIComponent(url.password);
  const base = [
    '-h',
    url.hostname,
    '-p',
    url.port || '6379',
    ...(user && user !== 'default' ? ['--user', user] : []),
    ...(url.protocol === 'rediss:' ? ['--tls'] : []),
  ];
  return {
    file: 'redis-cli',
    args: [...base, ...args],
    env: password ? { REDISCLI_AUTH: password } : {},
    aptPackage: 'redis-tools',
  };
}
