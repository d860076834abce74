// Wharf's static file server: serves static.json's root on $PORT.
// Options: root (default "public_html/"), clean_urls (/about serves about.html), error_page.
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const config = JSON.parse(fs.readFileSync('static.json', 'utf8'));
const root = path.resolve(config.root ?? 'public_html/');
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
};

function candidates(urlPath) {
  const p = path.join(root, path.normalize(decodeURIComponent(urlPath)).replace(/^(\.\.[/\\])+/, ''));
  if (!p.startsWith(root)) return [];
  const list = [p, path.join(p, 'index.html')];
  if (config.clean_urls) list.push(`${p}.html`);
  return list;
}

function send(res, status, file) {
  res.writeHead(status, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
  fs.createReadStream(file).pipe(res);
}

http
  .createServer((req, res) => {
    let files;
    try {
      files = candidates(new URL(req.url, 'http://x').pathname);
    } catch {
      return res.writeHead(400, { 'content-type': 'text/plain' }).end('Bad Request\n');
    }
    for (const file of files) {
      if (fs.statSync(file, { throwIfNoEntry: false })?.isFile()) return send(res, 200, file);
    }
    const errorPage = config.error_page ? path.join(root, config.error_page) : null;
    if (errorPage && fs.existsSync(errorPage)) return send(res, 404, errorPage);
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n');
  })
  .listen(Number(process.env.PORT ?? 5000));
