export { libpqEnv, pgDumpCommand, pgRestoreCommand, psqlCommand } from './pg.ts';
export { redisCliCommand } from './redis.ts';
export { type ConsoleCommand, ConsoleEnvError, ConsoleToolMissingError, runConsole } from './spawn.ts';
