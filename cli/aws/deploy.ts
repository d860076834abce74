/**
 * `wharf deploy` on AWS: `git archive --format=tar.gz HEAD` PUT to a presigned S3 URL,
 * a build of it on CodeBuild (its log followed through Live Tail, `build/<id>` streams,
 * its end by polling `GET /builds/:id`), then the release it made and its ECS rollout,
 * until the deployment completes or fails.
 */
import { execFileSync, spawn } from 'node:child_process';
import type { WharfClient } from '../../api/client.ts';
import type { Build, Deployment, LogLine, Release } from '../../api/contract.ts';
import { BuildFailedError, DeployFailedError, WharfError } from '../../core/errors.ts';
import { type CommandContext, ioOf } from '../commands/types.ts';
import type { AwsRemote } from '../remote.ts';
import { BackgroundTail, SeenLines, pollInterval, sleep, tailApp } from './tail.ts';

/** The committed tree of HEAD, gzipped by git; what is not committed is not in it. */
export async function gitArchive(cwd: string): Promise<Buffer> {
  const child = spawn('git', ['archive', '--format=tar.gz', 'HEAD'], {
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  const errors: Buffer[] = [];
  child.stderr.on('data', (c: Buffer) => errors.push(c));
  for await (const c of child.stdout) chunks.push(c as Buffer);
  const code = await new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('close', resolve);
  });
  if (code !== 0) {
    throw new WharfError(
      'validation_error',
      `git archive HEAD failed: ${Buffer.concat(errors).toString().trim()}; run wharf deploy in the app's git repo, with at least one commit`,
    );
  }
  return Buffer.concat(chunks);
}

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
}

/** What `git archive` leaves out, said before the upload rather than found in a failed build. */
function warnings(cwd: string, rev: string): string[] {
  const out: string[] = [];
  if (git(cwd, ['ls-tree', '--name-only', 'HEAD', '.gitmodules'])) {
    out.push(
      'Submodules are not in `git archive`: their directories are deployed empty. Vendor them, or build from a git host (`wharf webhook`)',
    );
  }
  if (git(cwd, ['status', '--porcelain', '--untracked-files=no'])) {
    out.push(`Uncommitted changes are not deployed: wharf deploy sends the commit ${rev.slice(0, 12)}`);
  }
  return out;
}

export async function deployOnAws(ctx: CommandContext, remote: AwsRemote, app: string): Promise<number> {
  const cwd = ioOf(ctx).cwd;
  const client = ctx.client();
  let rev: string;
  try {
    rev = git(cwd, ['rev-parse', 'HEAD']);
  } catch (e) {
    throw new WharfError('validation_error', 'wharf deploy sends HEAD: run it in a git repo with a commit', {
      cause: e,
    });
  }
  for (const w of warnings(cwd, rev)) ctx.out.progress(` !     ${w}`);
  const archive = await gitArchive(cwd);
  ctx.out.progress(
    `-----> Uploading ${Math.ceil(archive.length / 1024)} KB of ${rev.slice(0, 12)} to ${app}`,
  );
  const upload = await client.createSourceUpload(app);
  const id = /([0-9a-f]{16})\.tar\.gz$/.exec(upload.key)?.[1];
  if (!id) throw new WharfError('internal', `the API gave an upload key of an unknown form: ${upload.key}`);
  await putArchive(upload.url, archive);
  const { build } = await client.deploySource(app, id, rev);
  ctx.out.progress(`-----> Build ${build.id} started`);

  const finished = await followBuild(ctx, client, remote, app, build);
  if (finished.status === 'failed') {
    throw new BuildFailedError(`build ${build.id} failed: ${finished.error ?? 'see its log above'}`);
  }
  const release = await waitForRelease(ctx, client, app, finished);
  if (!release) {
    ctx.out.progress(` !     Build ${build.id} succeeded but made no release yet: see \`wharf events\``);
    ctx.out.data({ build: finished, release: null, deployment: null }, () => '');
    return 0;
  }
  ctx.out.progress(`-----> Released v${release.version}; rolling it out on ECS`);
  const deployment = await followDeployment(ctx, client, app, release.version);
  ctx.out.data({ build: finished, release, deployment }, () => '');
  return 0;
}

async function putArchive(url: string, body: Buffer): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/gzip' } });
  } catch (e) {
    throw new WharfError(
      'unavailable',
      `cannot upload the source to S3 (${new URL(url).host}): ${(e as Error).message}`,
      {
        cause: e,
      },
    );
  }
  if (!res.ok) {
    const xml = await res.text();
    const code = /<Code>([^<]*)<\/Code>/.exec(xml)?.[1] ?? `HTTP ${res.status}`;
    const message = /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] ?? xml.slice(0, 200);
    throw new WharfError(
      'unavailable',
      `S3 refused the source upload (${code}: ${message}); run wharf deploy again (the upload URL lasts 15 minutes)`,
    );
  }
}

async function followBuild(
  ctx: CommandContext,
  client: WharfClient,
  remote: AwsRemote,
  app: string,
  build: Build,
): Promise<Build> {
  const seen = new SeenLines();
  // build output goes to stderr, as a local deploy prints it
  const print = (l: LogLine) => {
    seen.add(l);
    ioOf(ctx).stderr.write(`${l.text}\n`);
  };
  const tail = new BackgroundTail((signal) =>
    tailApp(client, remote, app, { source: 'build', instance: build.id }, print, signal),
  );
  const interval = pollInterval(ctx.env);
  let current = build;
  while (current.status === 'pending' || current.status === 'running') {
    await sleep(interval);
    current = await client.getBuild(build.id);
  }
  const tailError = await tail.stop(Math.min(interval, 2000));
  for (const l of seen.unseen(await client.buildLog(build.id))) print(l);
  if (tailError) ctx.out.progress(` !     Live Tail: ${(tailError as Error).message ?? String(tailError)}`);
  ctx.out.progress(`-----> Build ${build.id} ${current.status}`);
  return current;
}

// The build-events Lambda makes the release right after it marks the build succeeded
const RELEASE_POLLS = 15;

async function waitForRelease(
  ctx: CommandContext,
  client: WharfClient,
  app: string,
  build: Build,
): Promise<Release | null> {
  if (!build.artifactId) return null;
  for (let i = 0; i < RELEASE_POLLS; i++) {
    const release = (await client.listReleases(app)).find((r) => r.artifactId === build.artifactId);
    if (release) return release;
    await sleep(pollInterval(ctx.env));
  }
  return null;
}

/** Until ECS's events complete or fail the rollout; Ctrl-C leaves it running. */
async function followDeployment(
  ctx: CommandContext,
  client: WharfClient,
  app: string,
  version: number,
): Promise<Deployment | null> {
  const interrupted = new AbortController();
  const onInt = () => interrupted.abort();
  process.once('SIGINT', onInt);
  let said = '';
  let misses = 0;
  try {
    while (!interrupted.signal.aborted) {
      const d = (await client.listDeployments(app)).filter((x) => x.toVersion === version).at(-1);
      if (!d && ++misses > RELEASE_POLLS) {
        ctx.out.progress(` !     No deployment of v${version} (nothing scaled?): see \`wharf scale\``);
        return null;
      }
      if (d && d.status !== said) {
        said = d.status;
        if (d.status === 'complete') ctx.out.progress(`-----> v${version} is running`);
        else if (d.status !== 'failed') ctx.out.progress(`-----> Deployment ${d.id} ${d.status}`);
      }
      if (d?.status === 'failed')
        throw new DeployFailedError(`v${version} did not roll out: ${d.error ?? 'no reason given'}`);
      if (d?.status === 'complete') return d;
      await sleep(pollInterval(ctx.env), interrupted.signal);
    }
  } finally {
    process.off('SIGINT', onInt);
  }
  if (interrupted.signal.aborted)
    ctx.out.progress(' !     Detached: the rollout goes on; see `wharf info` and `wharf events`');
  return null;
}
