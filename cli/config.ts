/**
 * The API client for the platform the CLI talks to (see remote.ts), and the app a command
 * is about. An AWS remote signs every request with SigV4; the signer (and the AWS SDK) is
 * imported on the first request, so local use never loads it.
 */
import { execFileSync } from 'node:child_process';
import { type RequestSigner, WharfClient } from '../api/client.ts';
import { ValidationError, WharfError } from '../core/errors.ts';
import { type AwsRemote, type LocalRemote, type Remote, dataDir, resolveRemote } from './remote.ts';

export { dataDir };

export type Endpoint = Pick<LocalRemote, 'apiUrl' | 'token'>;

/** The local platform's URL and token (git remotes need them); AWS remotes have no git server. */
export function endpoint(env: NodeJS.ProcessEnv = process.env): Endpoint {
  const r = resolveRemote(env);
  if (r.kind !== 'local') {
    throw new ValidationError(
      `${r.apiUrl} is Wharf on AWS, which has no git server: deploy with \`wharf deploy\`, or push to a git host after \`wharf webhook\``,
    );
  }
  return { apiUrl: r.apiUrl, token: r.token };
}

export function clientFor(remote: Remote): WharfClient {
  if (remote.kind === 'local') return new WharfClient({ url: remote.apiUrl, token: remote.token });
  let signer: Promise<RequestSigner> | null = null;
  return new WharfClient({
    url: remote.apiUrl,
    sign: async (req) => {
      signer ??= import('./aws/signer.ts').then((m) => m.requestSigner(remote));
      return (await signer)(req);
    },
    explain: (e, status) => explainAwsError(remote, e, status),
  });
}

export function client(env: NodeJS.ProcessEnv = process.env): WharfClient {
  return clientFor(resolveRemote(env));
}

/** API Gateway's own refusals, in words that say what to fix. */
export function explainAwsError(remote: AwsRemote, e: WharfError, status: number): WharfError {
  if (status === 0) {
    return new WharfError(
      'unavailable',
      `cannot reach the Wharf API at ${remote.apiUrl}: check the URL (the platform stack's ApiUrl output) and your network`,
      { cause: e.cause ?? e },
    );
  }
  if (status !== 403 || e.code !== 'forbidden' || e.details) return e;
  const said = e.message.replace(/^HTTP 403: /, '');
  if (/signature|expired|credential|security token/i.test(said)) {
    return new WharfError(
      'forbidden',
      `API Gateway refused the signature: ${said}; check the machine's clock and that region ${remote.region} is the API's (\`wharf login --aws URL --region R\`)`,
      { cause: e },
    );
  }
  return new WharfError(
    'forbidden',
    `API Gateway refused the request (${said}): your IAM identity needs execute-api:Invoke on the Wharf API; attach the platform stack's OperatorPolicyArn to your user, group or role`,
    { cause: e },
  );
}

/** The app: `-a NAME`, else WHARF_APP, else the repo's `wharf.app` git config or `wharf` git remote. */
export function resolveApp(
  flag: string | true | undefined,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): string {
  if (typeof flag === 'string') return flag;
  if (env['WHARF_APP']) return env['WHARF_APP'];
  const git = (args: string[]) =>
    execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    // set by `wharf create` against an AWS remote, which has no git URL to read it from
    const configured = git(['config', '--get', 'wharf.app']);
    if (configured) return configured;
  } catch {
    // not set
  }
  try {
    const m = /\/git\/([a-z0-9-]+)\.git$/.exec(git(['remote', 'get-url', 'wharf']));
    if (m) return m[1]!;
  } catch {
    // not a git repo, or no wharf remote
  }
  throw new ValidationError(
    'no app given: use -a APP, or run inside a git repo with a `wharf` remote (`wharf create NAME`)',
  );
}
