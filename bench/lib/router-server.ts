/**
 * LocalRouter in a process of its own for benchmarks. Argument: the upstream ports,
 * comma separated; routes bench.localhost to them. Prints `{"port":N,"pid":P}` when
 * listening; on a line `stats` on stdin prints the router's counters.
 */
import { createInterface } from 'node:readline';
import { LocalRouter } from '../../adapters/local/router/index.ts';

const ports = (process.argv[2] ?? '').split(',').filter(Boolean).map(Number);
const router = new LocalRouter({ port: 0 });
const { port } = await router.listen();
await router.setTable([
  {
    routeId: 'bench',
    app: 'bench',
    domain: 'bench.localhost',
    path: '/',
    processType: 'web',
    leader: false,
    sticky: false,
    backends: ports.map((p, i) => ({ id: `i-${i}`, host: '127.0.0.1', port: p })),
  },
]);
process.stdout.write(JSON.stringify({ port, pid: process.pid }) + '\n');
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'stats') process.stdout.write(JSON.stringify(router.stats()) + '\n');
});
lines.on('close', () => {
  void router.close().then(() => process.exit(0));
});
process.on('SIGTERM', () => process.exit(0));
