/**
 * Builder on CodeBuild: StartBuild with the app's buildpacks, cache and config, and the
 * source either from S3 (an upload of `wharf deploy`) or cloned from the git host by the
 * buildspec. It returns `pending`; the CodeBuild state-change event finishes the build
 * (codebuild-events.ts turns it into the outcome).
 *
 * Config vars and git tokens never travel as plain variables, which the CodeBuild console
 * and BatchGetBuilds show to anyone who may read builds: the config goes to the app's
 * secret `build-env/<app>` first, and both reach the build as SECRETS_MANAGER variables.
 */
import { type CodeBuildClient, type EnvironmentVariable, StartBuildCommand } from '@aws-sdk/client-codebuild';
import { ValidationError } from '../../core/errors.ts';
import type { BuildOutcome, BuildRequest, Builder } from '../../core/ports.ts';
import { appSecretName } from '../../core/secret-names.ts';
import { type BackoffOptions, awsCall } from './aws-errors.ts';
import { buildStreamPrefix, logGroupName } from './log-streams.ts';

export interface CodeBuildBuilderOptions {
  readonly client: CodeBuildClient;
  /** the buildpack project (no Docker daemon needed) */
  readonly project: string;
  /** the privileged project for apps that build from a Dockerfile */
  readonly dockerProject: string;
  readonly bucket: string;
  /** ECR repository URI the image is pushed to */
  readonly repositoryUri: string;
  readonly logGroupPrefix: string;
  /** Secrets Manager id of the app's git token, when it has one (private repositories) */
  readonly gitTokenSecret?: (app: string) => Promise<string | null>;
  /** where the app's config vars are written for its builds to read */
  readonly buildEnvSecrets: BuildEnvSecrets;
  readonly backoff?: BackoffOptions;
}

/** A SecretStore that also names its secrets as Secrets Manager does (SecretsManagerStore). */
export interface BuildEnvSecrets {
  put(name: string, value: string): Promise<void>;
  /** the Secrets Manager name of `name` (the platform prefix added) */
  secretId(name: string): string;
}

/**
 * The app's build config secret. One per app, rewritten before each build, costs one
 * secret per app ($0.40 a month) and needs no cleanup when a build's events are lost; two
 * builds of one app started within seconds may both read the later config, which is the
 * config their releases get anyway.
 */
export function buildEnvSecretName(app: string): string {
  return appSecretName('buildEnv', app);
}

/** An app whose buildpack list is exactly this builds from its Dockerfile. */
export const DOCKERFILE_BUILDPACK = 'dockerfile';

export class CodeBuildBuilder implements Builder {
  private readonly options: CodeBuildBuilderOptions;

  constructor(options: CodeBuildBuilderOptions) {
    this.options = options;
  }

  async build(
    request: BuildRequest,
    output: (line: string) => void,
  ): Promise<BuildOutcome | { pending: true }> {
    const o = this.options;
    const docker = request.buildpacks.length === 1 && request.buildpacks[0] === DOCKERFILE_BUILDPACK;
    const env: EnvironmentVariable[] = [
      plain('WHARF_BUILD_ID', request.buildId),
      plain('WHARF_APP', request.app),
      plain('WHARF_SOURCE_VERSION', request.sourceVersion),
      plain('WHARF_IMAGE_REPOSITORY', o.repositoryUri),
      plain('WHARF_IMAGE_TAG', `${request.app}-${request.buildId}`),
    ];
    // Config vars travel as one value so that no name can clash with CodeBuild's own. The
    // Dockerfile buildspec reads none, and an empty config is the buildspec's default.
    if (!docker && Object.keys(request.env).length > 0) {
      const name = buildEnvSecretName(request.app);
      await o.buildEnvSecrets.put(name, Buffer.from(JSON.stringify(request.env)).toString('base64'));
      env.push({ name: 'WHARF_BUILD_ENV', value: o.buildEnvSecrets.secretId(name), type: 'SECRETS_MANAGER' });
    }
    if (!docker && request.buildpacks.length > 0)
      env.push(plain('WHARF_BUILDPACKS', request.buildpacks.join(',')));
    let source: Record<string, unknown>;
    if (request.source.kind === 'git') {
      env.push(plain('WHARF_GIT_URL', request.source.url), plain('WHARF_GIT_REF', request.source.ref));
      const token = await o.gitTokenSecret?.(request.app);
      if (token) env.push({ name: 'WHARF_GIT_TOKEN', value: token, type: 'SECRETS_MANAGER' });
      source = { sourceTypeOverride: 'NO_SOURCE' };
    } else if (request.source.kind === 'tar' && request.source.path.startsWith('s3://')) {
      source = {
        sourceTypeOverride: 'S3',
        sourceLocationOverride: request.source.path.slice('s3://'.length),
      };
    } else {
      throw new ValidationError(
        `CodeBuild cannot read the source "${request.source.path}": on AWS push through a git host webhook or upload with \`wharf deploy\``,
      );
    }
    const out = await awsCall(
      `start build ${request.buildId} of ${request.app}`,
      () =>
        o.client.send(
          new StartBuildCommand({
            projectName: docker ? o.dockerProject : o.project,
            idempotencyToken: request.buildId,
            ...source,
            environmentVariablesOverride: env,
            cacheOverride: { type: 'S3', location: `${o.bucket}/cache/${request.app}` },
            logsConfigOverride: {
              cloudWatchLogs: {
                status: 'ENABLED',
                groupName: logGroupName(o.logGroupPrefix, request.app),
                streamName: buildStreamPrefix(request.buildId),
              },
              s3Logs: { status: 'DISABLED' },
            },
          }),
        ),
      o.backoff,
    );
    output(`-----> Build ${request.buildId} started on CodeBuild (${out.build?.id ?? 'unknown id'})`);
    return { pending: true };
  }
}

function plain(name: string, value: string): EnvironmentVariable {
  return { name, value, type: 'PLAINTEXT' };
}
