import { type IncomingMessage, request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  badGatewayPage,
  badRequestPage,
  noInstancesPage,
  sendPageOnSocket,
  unknownHostPage,
  unknownPathPage,
} from './error-pages.ts';
import { clientResponseHeaders, newScan, upstreamRequestHeaders } from './headers.ts';
import { hostKey, lookupHost, matchPath } from './route-table.ts';
import { clientAddressOf, markDown, pickBackend, type RouterState } from './state.ts';

function rawHead(statusCode: number, statusMessage: string, headers: string[]): string {
  let head = `HTTP/1.1 ${statusCode} ${statusMessage}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return head + '\r\n';
}

/**
 * HTTP Upgrade (websockets): the handshake goes to a backend on a connection of its
 * own, and after its 101 the two sockets are spliced together both ways.
 */
export function handleUpgrade(state: RouterState, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  // nothing reads the client socket until the tunnel is up; bytes must wait, not be dropped
  socket.pause();
  const stats = state.stats;
  stats.requests++;
  stats.upgrades++;
  socket.on('error', () => socket.destroy());
  const scan = newScan();
  const headers = upstreamRequestHeaders(
    req.rawHeaders,
    clientAddressOf(req.socket.remoteAddress),
    state.forward,
    true,
    scan,
  );
  if (scan.duplicateHost) {
    sendPageOnSocket(socket, badRequestPage('the request has more than one Host header: send exactly one'));
    return;
  }
  const host = lookupHost(state.table, scan.host);
  const route = host === null ? null : matchPath(host, req.url ?? '/');
  if (route === null) {
    stats.notFound++;
    const key = hostKey(scan.host);
    sendPageOnSocket(
      socket,
      host === null ? unknownHostPage(scan.host, key) : unknownPathPage(scan.host, key, req.url ?? '/'),
    );
    return;
  }
  const backend = pickBackend(route, null);
  if (backend === null) {
    stats.unavailable++;
    stats.errors++;
    sendPageOnSocket(socket, noInstancesPage(route.app));
    return;
  }
  const up = request({
    host: backend.pool.host,
    port: backend.pool.port,
    method: req.method,
    path: req.url,
    headers,
    // a tunnel holds its connection for its whole life, so it never comes from the keep-alive pool
    agent: false,
    setHost: false,
  });
  let open = true;
  const closeBoth = (other?: Duplex): void => {
    if (!open) return;
    open = false;
    socket.destroy();
    other?.destroy();
  };
  socket.on('close', () => {
    if (open) up.destroy();
  });
  up.on('upgrade', (upRes, upSocket: Socket, upHead: Buffer) => {
    if (socket.destroyed) {
      upSocket.destroy();
      return;
    }
    upSocket.setNoDelay(true);
    // a FIN from either side ends the tunnel: half-open tunnels would otherwise live forever
    (socket as Socket).allowHalfOpen = false;
    upSocket.allowHalfOpen = false;
    state.tunnels.add(socket);
    stats.activeUpgrades++;
    socket.on('close', () => {
      if (state.tunnels.delete(socket)) stats.activeUpgrades--;
      closeBoth(upSocket);
    });
    upSocket.on('error', () => closeBoth(upSocket));
    upSocket.on('close', () => closeBoth(upSocket));
    socket.write(
      rawHead(upRes.statusCode ?? 101, upRes.statusMessage ?? 'Switching Protocols', upRes.rawHeaders),
    );
    if (upHead.length > 0) socket.write(upHead);
    if (head.length > 0) upSocket.write(head);
    upSocket.pipe(socket);
    socket.pipe(upSocket);
    socket.resume();
  });
  up.on('response', (upRes) => {
    // the backend declined the upgrade: relay its answer, then close (the tunnel never opened)
    // the body arrives de-chunked and ends with the connection, so it goes out without framing
    const headers = clientResponseHeaders(upRes.rawHeaders);
    headers.push('connection', 'close');
    socket.write(rawHead(upRes.statusCode ?? 502, upRes.statusMessage ?? '', headers));
    upRes.pipe(socket);
    upRes.on('close', () => closeBoth());
  });
  up.on('error', (err: NodeJS.ErrnoException) => {
    if (!open) return;
    const code = err.code ?? 'EUNKNOWN';
    if (code === 'ECONNREFUSED') markDown(backend);
    stats.errors++;
    stats.badGateway++;
    state.logger?.warn('router: upstream upgrade failed', { app: route.app, instance: backend.id, code });
    open = false;
    if (socket.writable) sendPageOnSocket(socket, badGatewayPage(route.app, backend.id, code));
    else socket.destroy();
  });
  up.end();
}
