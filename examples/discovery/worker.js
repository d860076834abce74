// The worker: a small HTTP service on $PORT that the web process finds by its discovery
// name (it is not routed from outside). It says which instance answered.
const http = require('node:http');

const id = process.env.WHARF_INSTANCE_ID;
let served = 0;

const server = http.createServer((req, res) => {
  served += 1;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(`${JSON.stringify({ worker: id, answer: `worked on ${req.url}`, served })}\n`);
});

server.listen(Number(process.env.PORT), () => console.log(`worker ${id} listening on ${process.env.PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
