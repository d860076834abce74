/**
 * `wharf login --aws URL`: remember a Wharf API on AWS and sign requests to it with the
 * user's AWS credentials; `wharf logout` forgets it (the local platform is used again).
 */
import { ValidationError, WharfError } from '../../core/errors.ts';
import { clientFor } from '../config.ts';
import { awsRemote, forgetRemote, isExecuteApiUrl, remoteFile, saveRemote } from '../remote.ts';
import type { Command } from './types.ts';

export const login: Command = {
  usage: 'wharf login --aws URL [--profile P] [--region R]',
  summary: "sign in to Wharf on AWS (the stack's ApiUrl) with your AWS credentials",
  async run({ args, out, env }) {
    const url = args.positional[0];
    if (!url)
      throw new ValidationError(
        "give the API's URL: wharf login --aws https://ID.execute-api.REGION.amazonaws.com",
      );
    if (!args.flags.has('aws') && !isExecuteApiUrl(url)) {
      throw new ValidationError(
        'only Wharf on AWS needs a login: add --aws for an AWS API behind another host name; a local platform (`wharf up`) is found by itself',
      );
    }
    const profile = args.flags.get('profile');
    const region = args.flags.get('region');
    const remote = awsRemote(
      url,
      {
        ...(typeof profile === 'string' ? { profile } : {}),
        ...(typeof region === 'string' ? { region } : {}),
      },
      env,
    );
    const aws = await import('../aws/credentials.ts');
    const keys = aws.describeCredentials(await aws.credentialsFor(remote)());
    const client = clientFor(remote);
    const apps = await client.listApps();
    // The identity IAM verified; a stack from before GET /whoami answers 404: name the key then.
    const caller = await client.whoami().catch((e: unknown) => {
      if (e instanceof WharfError && e.code === 'not_found') return null;
      throw e;
    });
    const identity = caller ? `${caller.arn} (${keys})` : keys;
    const file = saveRemote(remote, env);
    out.data(
      { ...remote, identity, apps: apps.length, file },
      () =>
        `Logged in to ${remote.apiUrl} (AWS ${remote.region}${remote.profile ? `, profile ${remote.profile}` : ''}) with ${identity}: ${apps.length} app${apps.length === 1 ? '' : 's'}\n`,
    );
    out.progress(`-----> Saved in ${file}; \`wharf logout\` goes back to the local platform`);
    return 0;
  },
};

export const logout: Command = {
  usage: 'wharf logout',
  summary: 'forget the AWS remote; the CLI talks to the local platform again',
  async run({ out, env }) {
    const forgot = forgetRemote(env);
    out.data({ forgot }, () =>
      forgot
        ? 'Logged out: the CLI talks to the local platform again\n'
        : `No AWS remote saved (${remoteFile(env)})\n`,
    );
    if (env['WHARF_URL']) out.progress(` !     WHARF_URL is set (${env['WHARF_URL']}): it still wins`);
    return 0;
  },
};
