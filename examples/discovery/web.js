// The web process: answers through the router, calls its worker by discovery name with
// the ordinary DNS client, knows whether it leads, and has a health check that a test
// (or you) can make fail: `curl -X POST http://127.0.0.1:$PORT/fail`.
const http = require('node:http');
const { Resolver } = require('node:dns').promises;
const { followLeadership } = require('./leadership.js');

const { WHARF_APP: app, WHARF_ZONE: zone, WHARF_INSTANCE_ID: id, WHARF_RELEASE: release } = process.env;

// Wharf's resolver answers the discovery zone on an ephemeral port, given in WHARF_DISCOVERY_DNS.
const resolver = new Resolver({ timeout: 1000, tries: 2 });
resolver.setServers([process.env.WHARF_DISCOVERY_DNS]);

const isLeader = followLeadership((leader) =>
  console.log(`${id} is ${leader ? 'now' : 'no longer'} the leader`),
);
let failing = false;

/** Any healthy worker: SRV gives each one's port and name, A gives the name's address. */
async function findWorker() {
  const records = await resolver.resolveSrv(`_worker._tcp.${app}.${zone}`);
  if (records.length === 0) throw new Error('no healthy worker');
  const srv = records[Math.floor(Math.random() * records.length)];
  const [address] = await resolver.resolve4(srv.name);
  return { name: srv.name, address, port: srv.port };
}

async function callWorker(path) {
  const worker = await findWorker();
  const res = await fetch(`http://${worker.address}:${worker.port}${path}`);
  return { via: worker, ...(await res.json()) };
}

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

const server = http.createServer((req, res) => {
  if (req.url === '/health') return reply(res, failing ? 500 : 200, { healthy: !failing });
  if (req.method === 'POST' && req.url === '/fail') {
    failing = true;
    console.log(`${id}: /health fails from now on`);
    return reply(res, 200, { instance: id, failing });
  }
  if (req.url.startsWith('/worker')) {
    callWorker(req.url.slice('/worker'.length) || '/').then(
      (worker) => reply(res, 200, { web: id, worker }),
      (error) => reply(res, 502, { web: id, error: error.message }),
    );
    return;
  }
  reply(res, 200, { app, release, instance: id, pid: process.pid, leader: isLeader() });
});

server.listen(Number(process.env.PORT), () => console.log(`web ${id} listening on ${process.env.PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
