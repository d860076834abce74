/** `wharf webhook`: the secret and URLs a git host needs to build the app on every push. */
import { ValidationError } from '../../core/errors.ts';
import { type Command, remoteOf } from './types.ts';

const PROVIDERS = [
  ['GitHub', 'github', 'Settings → Webhooks: content type application/json, the secret, event "push"'],
  ['GitLab', 'gitlab', 'Settings → Webhooks: "Secret token" = the secret, "Push events"'],
  ['Bitbucket', 'bitbucket', 'Repository settings → Webhooks: the secret, "Repository push"'],
  ['Gitea/Forgejo', 'gitea', 'Settings → Webhooks → Gitea: the secret, "Push events", POST, JSON'],
] as const;

export const webhook: Command = {
  usage: 'wharf webhook [--secret S] [-a APP]',
  summary:
    'set (or generate) the webhook secret and print the URL to give GitHub, GitLab, Bitbucket or Gitea',
  async run(ctx) {
    const { args, out, client, app } = ctx;
    const r = remoteOf(ctx);
    if (r.kind !== 'aws') {
      throw new ValidationError(
        'git host webhooks are for Wharf on AWS; a local platform builds on `git push wharf main` (or `wharf deploy`)',
      );
    }
    const given = args.flags.get('secret');
    if (given === true) throw new ValidationError('--secret needs a value of at least 16 characters');
    const name = app();
    const res = await client().setWebhookSecret(name, given);
    const urls = Object.fromEntries(
      PROVIDERS.map(([, id]) => [id, `${r.apiUrl}${res.path.replace('<provider>', id)}`]),
    );
    out.data({ app: name, secret: res.secret, urls }, () =>
      [
        `secret: ${res.secret}`,
        '',
        ...PROVIDERS.map(
          ([label, id, how]) => `${`${label}:`.padEnd(15)}${urls[id]}\n${' '.repeat(15)}${how}`,
        ),
        '',
      ].join('\n'),
    );
    return 0;
  },
};
