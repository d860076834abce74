import { ValidationError } from '../../core/errors.ts';
import { table } from '../output.ts';
import type { Command, CommandContext } from './types.ts';

function reportChange(
  ctx: CommandContext,
  change: { release: { version: number; description: string }; deployment: { status: string } | null },
) {
  ctx.out.progress(
    `-----> v${change.release.version}: ${change.release.description}${change.deployment ? ` (deploy ${change.deployment.status})` : ''}`,
  );
}

export const env: Command = {
  usage: 'wharf env [set K=V… | unset K…] [-t TYPE] [-a APP]',
  summary: 'show, set or unset config vars; each change makes a new release',
  async run(ctx) {
    const { args, out, client, app } = ctx;
    const [sub, ...rest] = args.positional;
    const type = typeof args.flags.get('type') === 'string' ? (args.flags.get('type') as string) : undefined;
    if (!sub || sub === 'get') {
      const vars = await client().getEnv(app(), type);
      const key = rest[0];
      if (sub === 'get') {
        if (!key) throw new ValidationError('give the var name: wharf env get KEY');
        out.data({ [key]: vars[key] ?? null }, () => `${vars[key] ?? ''}\n`);
        return vars[key] === undefined ? 1 : 0;
      }
      out.data(vars, () =>
        Object.entries(vars)
          .map(([k, v]) => `${k}=${v}`)
          .join('\n'),
      );
      return 0;
    }
    if (sub === 'set') {
      const set: Record<string, string> = {};
      for (const pair of rest) {
        const i = pair.indexOf('=');
        if (i <= 0) throw new ValidationError(`invalid "${pair}": use KEY=VALUE`);
        set[pair.slice(0, i)] = pair.slice(i + 1);
      }
      const change = await client().changeEnv(app(), { set, ...(type ? { processType: type } : {}) });
      reportChange(ctx, change);
      out.data(change, () => '');
      return 0;
    }
    if (sub === 'unset') {
      if (rest.length === 0) throw new ValidationError('give the var names: wharf env unset KEY…');
      const change = await client().changeEnv(app(), { unset: rest, ...(type ? { processType: type } : {}) });
      reportChange(ctx, change);
      out.data(change, () => '');
      return 0;
    }
    throw new ValidationError(`unknown env command "${sub}": use wharf env, env get, env set or env unset`);
  },
};

export const release: Command = {
  usage: 'wharf release [list | show [vN] | rollback [vN]] [-a APP]',
  summary: 'list releases, show one, or roll back to the previous or a named one',
  async run(ctx) {
    const { args, out, client, app } = ctx;
    const [sub = 'list', version] = args.positional;
    if (sub === 'list') {
      const list = await client().listReleases(app());
      out.data(list, () =>
        table([
          ['VERSION', 'CREATED', 'DESCRIPTION'],
          ...[...list].reverse().map((r) => [`v${r.version}`, r.createdAt, r.description]),
        ]),
      );
      return 0;
    }
    if (sub === 'show') {
      const r = await client().getRelease(app(), version);
      out.data(r, () =>
        [
          `=== v${r.version} of ${r.app}`,
          `description: ${r.description}`,
          `created:     ${r.createdAt}`,
          'processes:',
          ...Object.entries(r.processes).map(([k, v]) => `  ${k}: ${v}`),
          'config:',
          ...Object.keys(r.env).map((k) => `  ${k}`),
          '',
        ].join('\n'),
      );
      return 0;
    }
    if (sub === 'rollback') {
      const change = await client().rollback(app(), version);
      reportChange(ctx, change);
      out.data(change, () => `v${change.release.version}\n`);
      return 0;
    }
    throw new ValidationError(`unknown release command "${sub}": use list, show or rollback`);
  },
};

export const route: Command = {
  usage: 'wharf route [list | add DOMAIN[/PATH] [--leader] [--sticky] | remove ID] [-a APP]',
  summary: 'list, add or remove HTTP routes',
  async run({ args, out, client, app }) {
    const [sub = 'list', target] = args.positional;
    if (sub === 'list') {
      const list = await client().listRoutes(app());
      out.data(list, () =>
        table([
          ['ID', 'DOMAIN', 'PATH', 'TYPE', 'LEADER'],
          ...list.map((r) => [r.id, r.domain, r.path, r.processType, r.leader ? 'yes' : '']),
        ]),
      );
      return 0;
    }
    if (sub === 'add') {
      if (!target) throw new ValidationError('give a domain: wharf route add DOMAIN[/PATH]');
      const i = target.indexOf('/');
      const domain = i < 0 ? target : target.slice(0, i);
      const path = i < 0 ? '/' : target.slice(i);
      const r = await client().addRoute(app(), {
        domain,
        path,
        leader: args.flags.has('leader'),
        sticky: args.flags.has('sticky'),
      });
      out.data(r, () => `${r.id}\n`);
      return 0;
    }
    if (sub === 'remove') {
      if (!target)
        throw new ValidationError('give the route id: wharf route remove ID (see wharf route list)');
      await client().removeRoute(app(), target);
      out.data({ removed: target }, () => `removed ${target}\n`);
      return 0;
    }
    throw new ValidationError(`unknown route command "${sub}": use list, add or remove`);
  },
};
