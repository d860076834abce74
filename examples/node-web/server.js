// A small web process: answers with its app, release and instance, so you can see
// which instance served a request and which release is live.
const http = require('node:http');

const port = Number(process.env.PORT || 5000);
const started = new Date().toISOString();
const greeting = process.env.GREETING || 'Hello from Wharf';

const server = http.createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok\n');
    return;
  }
  const body = {
    greeting,
    app: process.env.WHARF_APP,
    release: process.env.WHARF_RELEASE,
    instance: process.env.WHARF_INSTANCE_ID,
    started,
    path: req.url,
  };
  console.log(`${req.method} ${req.url} served by ${process.env.WHARF_INSTANCE_ID}`);
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify(body)}\n`);
});

server.listen(port, () => console.log(`web listening on ${port} (${process.env.WHARF_RELEASE})`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
