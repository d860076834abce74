/**
 * A stand-in platform for the orphan tests: starts instances, prints them as one JSON
 * line, then idles until the test SIGKILLs it (as a crash or kill -9 would).
 * Usage: node platform-child.ts DATA_DIR SLUG_DIR COUNT COMMAND
 */
import { join } from 'node:path';
import { FileLogStore } from '../../adapters/local/logs/file-log-store.ts';
import { Supervisor } from '../../adapters/local/supervisor/supervisor.ts';

const [dataDir, slugDir, count, command] = process.argv.slice(2);
if (!dataDir || !slugDir || !count || !command)
  throw new Error('usage: platform-child.ts DATA_DIR SLUG_DIR COUNT COMMAND');

const supervisor = new Supervisor({
  dataDir,
  logs: new FileLogStore({ dir: join(dataDir, 'logs') }),
  launch: (_dir, cmd) => ({ file: 'bash', args: ['-c', cmd] }),
  resolveArtifact: async (uri) => uri,
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
});
const instances = [];
for (let i = 0; i < Number(count); i++) {
  instances.push(
    await supervisor.start({
      app: 'shop',
      processType: i % 2 === 0 ? 'web' : 'worker',
      releaseVersion: 1,
      command,
      env: {},
      artifactUri: slugDir,
    }),
  );
}
process.stdout.write(JSON.stringify(instances) + '\n');
setInterval(() => {}, 60_000);
