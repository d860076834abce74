import { ValidationError } from '../../core/errors.ts';
import { table } from '../output.ts';
import type { Command } from './types.ts';

export const resource: Command = {
  usage:
    'wharf resource [list | add PROVIDER [--as NAME] | info NAME [--reveal] | remove NAME --yes [--keep-data | --drop-data]] [-a APP]',
  summary: 'attach databases and stores: postgres, mysql, redis, document, blob, postgis',
  async run({ args, out, client, app }) {
    const [sub = 'list', target] = args.positional;
    if (sub === 'list') {
      const list = await client().listResources(app());
      out.data(list, () =>
        table([
          ['NAME', 'PROVIDER', 'STATUS', 'ENV'],
          ...list.map((r) => [r.name, r.provider, r.status, Object.keys(r.env).join(',')]),
        ]),
      );
      return 0;
    }
    if (sub === 'add') {
      if (!target)
        throw new ValidationError(
          'give a provider: wharf resource add postgres|mysql|redis|document|blob|postgis',
        );
      const as = args.flags.get('as');
      out.progress(`-----> Provisioning ${target}…`);
      const r = await client().addResource(app(), target, typeof as === 'string' ? as : undefined);
      out.progress(
        `-----> ${r.resource.name} is ${r.resource.status}${r.release ? `; v${r.release.version} has its env vars` : ''}`,
      );
      out.data(r, () => `${r.resource.name}\n`);
      return 0;
    }
    if (sub === 'info') {
      if (!target) throw new ValidationError('give the resource name: wharf resource info NAME');
      const r = await client().resourceInfo(app(), target, args.flags.has('reveal'));
      out.data(r, () =>
        [
          `=== ${r.name} (${r.provider}) ${r.status}`,
          ...Object.entries(r.env).map(([k, v]) => `${k}=${v}`),
          '',
        ].join('\n'),
      );
      return 0;
    }
    if (sub === 'remove') {
      if (!target) throw new ValidationError('give the resource name: wharf resource remove NAME --yes');
      if (!args.flags.has('yes'))
        throw new ValidationError(`removing ${target} deletes its data: run again with --yes`);
      // neither flag: the runtime's default (AWS keeps a final snapshot; local deletes the data)
      if (args.flags.has('keep-data') && args.flags.has('drop-data'))
        throw new ValidationError('give --keep-data or --drop-data, not both');
      const keep = args.flags.has('keep-data') ? true : args.flags.has('drop-data') ? false : undefined;
      const r = await client().removeResource(app(), target, keep === undefined ? {} : { keepData: keep });
      out.data(r, () => `removed ${target}\n`);
      return 0;
    }
    throw new ValidationError(`unknown resource command "${sub}": use list, add, info or remove`);
  },
};
