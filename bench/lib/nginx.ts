/** nginx as the baseline reverse proxy: the same job as the router, configured alike. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinned } from './procs.ts';

export interface NginxProxy {
  readonly port: number;
  readonly masterPid: number;
  stop(): Promise<void>;
}

export function nginxConf(dir: string, listenPort: number, upstreamPort: number): string {
  const user = process.getuid?.() === 0 ? 'user root;\n' : '';
  return `# one worker, to compare one core with the router's one event loop
worker_processes 1;
${user}daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_timeout 5s;
  upstream app {
    server 127.0.0.1:${upstreamPort};
    keepalive 256;
  }
  server {
    listen 127.0.0.1:${listenPort};
    server_name bench.localhost;
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_set_header X-Forwarded-Host $http_host;
      proxy_set_header X-Forwarded-Port $server_port;
      proxy_set_header X-Request-Id $request_id;
      proxy_buffering off;
    }
  }
}
`;
}

export async function startNginx(
  dir: string,
  listenPort: number,
  upstreamPort: number,
  cpus: string | null,
): Promise<NginxProxy> {
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConf(dir, listenPort, upstreamPort));
  const [cmd, args] = pinned(cpus, 'nginx', ['-c', conf, '-p', dir]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 10_000;
  let masterPid = 0;
  while (masterPid === 0) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}; see ${dir}/error.log`);
    if (Date.now() > deadline) throw new Error(`nginx did not start; see ${dir}/error.log`);
    await new Promise((r) => setTimeout(r, 50));
    try {
      masterPid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8').trim());
    } catch {
      masterPid = 0;
    }
  }
  return {
    port: listenPort,
    masterPid,
    stop: async () => {
      if (child.exitCode !== null) return;
      // QUIT lets nginx stop its workers itself; the child is the master (taskset execs it)
      child.kill('SIGQUIT');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
