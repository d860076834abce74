import type { WharfClient } from '../../api/client.ts';
import { ValidationError } from '../../core/errors.ts';
import type { ParsedArgs } from '../args.ts';
import type { Command } from './types.ts';

type AutoscalingConfig = NonNullable<Parameters<WharfClient['setAutoscaling']>[2]>;

const USAGE =
  'wharf autoscale TYPE --min N --max N (--cpu PERCENT | --requests N) [-a APP] | wharf autoscale TYPE --off';

function whole(args: ParsedArgs, flag: string): number | undefined {
  const value = args.flags.get(flag);
  if (value === undefined) return undefined;
  if (value === true || !/^\d+$/.test(value)) {
    throw new ValidationError(`--${flag} needs a whole number, e.g. --${flag} 2`);
  }
  return Number(value);
}

/** The flags as a config; ranges (min ≤ max ≤ 100, CPU 1–100) are the server's to check. */
export function autoscaleConfigFromArgs(args: ParsedArgs): AutoscalingConfig | null {
  const tuning = ['min', 'max', 'cpu', 'requests'].filter((f) => args.flags.has(f));
  if (args.flags.has('off')) {
    if (tuning.length > 0) {
      throw new ValidationError(`--off removes autoscaling: drop ${tuning.map((f) => `--${f}`).join(', ')}`);
    }
    return null;
  }
  const cpu = whole(args, 'cpu');
  const requests = whole(args, 'requests');
  if ((cpu === undefined) === (requests === undefined)) {
    throw new ValidationError(
      'give one target: --cpu PERCENT (average CPU) or --requests N (requests per instance per minute, web only)',
    );
  }
  const min = whole(args, 'min');
  const max = whole(args, 'max');
  if (min === undefined || max === undefined) {
    throw new ValidationError('give both bounds: --min N --max N, e.g. --min 1 --max 10');
  }
  return { min, max, target: cpu !== undefined ? { cpu } : { requestsPerTarget: requests! } };
}

export const autoscale: Command = {
  usage: USAGE,
  summary: 'on AWS, let a process type scale between --min and --max to hold CPU or requests per instance',
  async run({ args, out, client, app }) {
    const [type, ...extra] = args.positional;
    if (!type || extra.length > 0) throw new ValidationError(`give one process type: ${USAGE}`);
    const config = autoscaleConfigFromArgs(args);
    const result = await client().setAutoscaling(app(), type, config);
    out.data(result, () => {
      const a = result.autoscaling;
      if (!a)
        return `autoscaling of ${type} removed: its count stays where it is; set it with \`wharf scale\`\n`;
      const target =
        'cpu' in a.target ? `${a.target.cpu} % CPU` : `${a.target.requestsPerTarget} requests per instance`;
      return `${type} scales from ${a.min} to ${a.max} instances to hold ${target}\n`;
    });
    return 0;
  },
};
