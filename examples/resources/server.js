// A web process that keeps notes in whichever resources are attached:
//
//   POST /pg/:key        (body: the value)   GET /pg/:key
//   POST /mysql/:key                         GET /mysql/:key
//   POST /redis/:key                         GET /redis/:key
//   POST /document/:key                      GET /document/:key
//   POST /blob/:key                          GET /blob/:key
//   GET  /postgis/distance?from=LON,LAT&to=LON,LAT   metres between two points
//   GET  /                                   which stores this release has
//
// 404 means the key is not there, 503 that the resource is not attached.
const http = require('node:http');
const stores = require('./stores.js');

const port = Number(process.env.PORT || 5000);

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      body += chunk;
      if (body.length > 64 * 1024) req.destroy(new Error('body over 64 KiB'));
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

function point(text) {
  const parts = String(text ?? '')
    .split(',')
    .map(Number);
  return parts.length === 2 && parts.every(Number.isFinite) ? parts : null;
}

async function handle(req, res) {
  const url = new URL(req.url, 'http://app');
  if (url.pathname === '/health') return send(res, 200, { ok: true });
  if (url.pathname === '/') {
    const attached = Object.keys(stores).filter((k) => stores[k]);
    return send(res, 200, { release: process.env.WHARF_RELEASE, attached });
  }
  if (url.pathname === '/postgis/distance') {
    if (!stores.postgis) return send(res, 503, { error: 'no postgis resource: wharf resource add postgis' });
    const from = point(url.searchParams.get('from'));
    const to = point(url.searchParams.get('to'));
    if (!from || !to) return send(res, 400, { error: 'give from=LON,LAT and to=LON,LAT' });
    return send(res, 200, { metres: await stores.postgis.distance(from, to) });
  }
  const m = /^\/(pg|mysql|redis|document|blob)\/([\w.-]{1,200})$/.exec(url.pathname);
  if (!m) return send(res, 404, { error: `no route ${url.pathname}` });
  const [, kind, key] = m;
  const store = stores[kind];
  if (!store) return send(res, 503, { error: `no ${kind} resource attached to this release` });
  if (req.method === 'POST' || req.method === 'PUT') {
    const value = await readBody(req);
    await store.put(key, value);
    return send(res, 201, { kind, key, value });
  }
  const value = await store.get(key);
  return value === undefined ? send(res, 404, { kind, key }) : send(res, 200, { kind, key, value });
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((error) => {
    console.error(`${req.method} ${req.url}: ${error.stack || error}`);
    if (!res.headersSent) send(res, 500, { error: error.message });
    else res.end();
  });
});

server.listen(port, () => console.log(`web listening on ${port} (${process.env.WHARF_RELEASE})`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
