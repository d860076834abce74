import { execFileSync } from 'node:child_process';
import { ValidationError } from '../../core/errors.ts';
import { endpoint } from '../config.ts';
import { table } from '../output.ts';
import { type Command, ioOf, remoteOf } from './types.ts';

function inGitRepo(cwd: string = process.cwd()): boolean {
  try {
    execFileSync('git', ['rev-parse', '--git-dir'], { cwd, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Adds (or points) the `wharf` remote at the app's repo, with the token as an extra header. */
export function setGitRemote(app: string, env: NodeJS.ProcessEnv, cwd: string = process.cwd()): string {
  const ep = endpoint(env);
  const url = `${ep.apiUrl}/git/${app}.git`;
  const remotes = execFileSync('git', ['remote'], { cwd, encoding: 'utf8' }).split('\n');
  execFileSync(
    'git',
    remotes.includes('wharf') ? ['remote', 'set-url', 'wharf', url] : ['remote', 'add', 'wharf', url],
    { cwd },
  );
  execFileSync('git', ['config', `http.${ep.apiUrl}/.extraHeader`, `Authorization: Bearer ${ep.token}`], {
    cwd,
  });
  return url;
}

export const create: Command = {
  usage: 'wharf create NAME',
  summary: 'create an app (and the `wharf` git remote when inside a git repo)',
  async run(ctx) {
    const { args, out, client, env } = ctx;
    const io = ioOf(ctx);
    const name = args.positional[0];
    if (!name) throw new ValidationError('give the app a name: wharf create NAME');
    const app = await client().createApp(name);
    let remote: string | null = null;
    const linkRepo = inGitRepo(io.cwd) && !args.flags.has('no-remote');
    if (linkRepo && remoteOf(ctx).kind === 'aws') {
      // AWS has no git server to add as a remote: the repo remembers the app in its config
      execFileSync('git', ['config', 'wharf.app', app.name], { cwd: io.cwd });
    } else if (linkRepo) remote = setGitRemote(app.name, env, io.cwd);
    out.data({ ...app, remote }, () => `${app.name}\n`);
    if (remote) out.progress(`-----> git remote wharf added: deploy with \`git push wharf main\``);
    else if (linkRepo)
      out.progress(
        `-----> This repo deploys to ${app.name}: \`wharf deploy\`, or builds on each push to a git host after \`wharf webhook\``,
      );
    return 0;
  },
};

export const apps: Command = {
  usage: 'wharf apps',
  summary: 'list apps',
  async run({ out, client }) {
    const list = await client().listApps();
    out.data(list, () => table([['NAME', 'CREATED'], ...list.map((a) => [a.name, a.createdAt])]));
    return 0;
  },
};

export const info: Command = {
  usage: 'wharf info [-a APP]',
  summary: 'show an app: release, formation, instances, routes',
  async run({ out, client, app }) {
    const i = await client().appInfo(app());
    out.data(i, () =>
      [
        `=== ${i.app.name}`,
        `release:   ${i.release ? `v${i.release.version} (${i.release.description})` : 'none'}`,
        `running:   ${i.currentVersion ? `v${i.currentVersion}` : 'nothing'}`,
        `formation: ${
          Object.entries(i.formation?.processes ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(' ') || 'none'
        }`,
        `routes:    ${i.routes.map((r) => `${r.domain}${r.path === '/' ? '' : r.path}`).join(', ') || 'none'}`,
        `resources: ${i.resources.map((r) => `${r.name} (${r.provider})`).join(', ') || 'none'}`,
        `instances: ${i.instances.length}`,
        '',
      ].join('\n'),
    );
    return 0;
  },
};

export const destroy: Command = {
  usage: 'wharf destroy [-a APP] --yes',
  summary: 'stop an app and delete it with its releases and resources',
  async run({ args, out, client, app }) {
    const name = app();
    if (!args.flags.has('yes')) {
      throw new ValidationError(`destroying ${name} deletes its releases and data: run again with --yes`);
    }
    await client().destroyApp(name);
    out.data({ destroyed: name }, () => `destroyed ${name}\n`);
    return 0;
  },
};

export const remote: Command = {
  usage: 'wharf remote [-a APP]',
  summary: 'point the `wharf` git remote of this repo at the app (after the API moved, say)',
  async run(ctx) {
    const { out, client, app, env } = ctx;
    const io = ioOf(ctx);
    const name = app();
    await client().appInfo(name);
    if (!inGitRepo(io.cwd)) throw new ValidationError('run this inside the git repo of the app');
    const url = setGitRemote(name, env, io.cwd);
    out.data({ app: name, remote: url }, () => `${url}\n`);
    return 0;
  },
};
