import * as fs from 'node:fs';
import { Duration, Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import type * as ecr from 'aws-cdk-lib/aws-ecr';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { parse as parseYaml } from 'yaml';
import { WharfConfigError } from './errors.ts';
import { arnIn } from './control-plane-policy.ts';
import { SECRET_NAMES } from './deploy-settings.ts';
import { allow } from './iam.ts';
import { acknowledge } from './nag.ts';
import type { WharfArchitecture } from './props.ts';

const CODEBUILD_CACHE_PREFIX = 'cache/codebuild';

export interface WharfBuildsProps {
  readonly name: string;
  readonly architecture: WharfArchitecture;
  readonly bucket: s3.IBucket;
  readonly repository: ecr.IRepository;
  readonly platformKey: kms.IKey;
  readonly runnerDirectory: string;
  readonly buildspecFile: string;
  readonly dockerBuildspecFile: string;
  readonly secretsPrefix: string;
  readonly buildTimeout: Duration;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The two CodeBuild projects. The control plane starts a build with the app's source
 * archive as `sourceLocationOverride` (`<bucket>/sources/...`) and per-build variables.
 */
export class WharfBuilds extends Construct {
  /** Buildpack builds: the runner (secondary source `runner`) turns the source into a slug and an image. */
  readonly buildpacksProject: codebuild.Project;
  /** Apps with a Dockerfile: `docker build` and push. */
  readonly dockerProject: codebuild.Project;
  /** Both projects log here, one stream per build. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WharfBuildsProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/${props.name}/builds`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const arm = props.architecture === 'arm64';
    const buildImage = arm
      ? codebuild.LinuxArmBuildImage.AMAZON_LINUX_2023_STANDARD_3_0
      : codebuild.LinuxBuildImage.STANDARD_7_0;
    const registry = Fn.select(0, Fn.split('/', props.repository.repositoryUri));
    const common = {
      WHARF_BUCKET: props.bucket.bucketName,
      WHARF_REPOSITORY: props.repository.repositoryName,
      WHARF_REPOSITORY_URI: props.repository.repositoryUri,
      WHARF_REGISTRY: registry,
      WHARF_ARCHITECTURE: arm ? 'ARM64' : 'X86_64',
      WHARF_CACHE_PREFIX: 'cache/',
      WHARF_SLUG_PREFIX: 'slugs/',
    };
    const env = (vars: Record<string, string>) =>
      Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, { value: v }]));
    // A placeholder: every build overrides it with the pushed archive.
    const source = codebuild.Source.s3({ bucket: props.bucket, path: 'sources/' });

    const runner = new s3assets.Asset(this, 'Runner', {
      path: props.runnerDirectory,
      exclude: ['node_modules', '**/*.test.ts', '.git'],
    });
    const runnerSource = codebuild.Source.s3({
      bucket: runner.bucket,
      path: runner.s3ObjectKey,
      identifier: 'runner',
    });
    this.buildpacksProject = new codebuild.Project(this, 'Buildpacks', {
      projectName: `${props.name}-buildpacks`,
      description: 'Wharf buildpack builds (the runner from buildpacks/)',
      source,
      secondarySources: [runnerSource],
      buildSpec: codebuild.BuildSpec.fromObjectToYaml(readBuildspec(props.buildspecFile, 'buildspecFile')),
      environment: {
        buildImage,
        computeType: codebuild.ComputeType.SMALL,
        privileged: false,
        environmentVariables: env(common),
      },
      encryptionKey: props.platformKey,
      logging: { cloudWatch: { logGroup: this.logGroup, prefix: 'buildpacks' } },
      timeout: props.buildTimeout,
      queuedTimeout: Duration.hours(1),
    });

    this.dockerProject = new codebuild.Project(this, 'Docker', {
      projectName: `${props.name}-docker`,
      description: 'Wharf builds of apps with a Dockerfile',
      source,
      secondarySources: [runnerSource],
      buildSpec: codebuild.BuildSpec.fromObjectToYaml(
        readBuildspec(props.dockerBuildspecFile, 'dockerBuildspecFile'),
      ),
      environment: {
        buildImage,
        computeType: codebuild.ComputeType.SMALL,
        privileged: true,
        environmentVariables: env(common),
      },
      cache: codebuild.Cache.local(codebuild.LocalCacheMode.DOCKER_LAYER),
      encryptionKey: props.platformKey,
      logging: { cloudWatch: { logGroup: this.logGroup, prefix: 'docker' } },
      timeout: props.buildTimeout,
      queuedTimeout: Duration.hours(1),
    });
    // CodeBuild's own S3 cache, set on the L1: Cache.bucket would grant the whole bucket.
    (this.buildpacksProject.node.defaultChild as codebuild.CfnProject).cache = {
      type: 'S3',
      location: `${props.bucket.bucketName}/${CODEBUILD_CACHE_PREFIX}`,
    };
    allow(this.buildpacksProject.role!, {
      sid: 'CodeBuildCache',
      actions: ['s3:GetObject', 's3:PutObject'],
      resources: [props.bucket.arnForObjects(`${CODEBUILD_CACHE_PREFIX}/*`)],
      why: "CodeBuild's project cache (the buildspec's cache paths) lives under this prefix.",
    });
    acknowledge(
      this.dockerProject,
      'CB3',
      'Docker builds need the Docker daemon, which needs privileged mode.',
    );

    for (const project of [this.buildpacksProject, this.dockerProject]) {
      const role = project.role!;
      allow(role, {
        sid: 'PushImages',
        actions: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchGetImage',
          'ecr:DescribeImages',
          'ecr:InitiateLayerUpload',
          'ecr:UploadLayerPart',
          'ecr:CompleteLayerUpload',
          'ecr:PutImage',
        ],
        resources: [props.repository.repositoryArn],
        why: 'Builds push to the Wharf repository only.',
      });
      allow(role, {
        sid: 'RegistryLogin',
        actions: ['ecr:GetAuthorizationToken'],
        resources: ['*'],
        why: 'ecr:GetAuthorizationToken has no resource-level permissions.',
      });
      allow(role, {
        sid: 'ReadSources',
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [props.bucket.arnForObjects('sources/*')],
        why: 'A build reads the source archive the control plane uploaded under sources/.',
      });
      allow(role, {
        sid: 'WriteSlugsAndCaches',
        actions: ['s3:GetObject', 's3:PutObject'],
        resources: [props.bucket.arnForObjects('slugs/*'), props.bucket.arnForObjects('cache/*')],
        why: 'A build writes its slug under slugs/ and reads and writes per-app caches under cache/.',
      });
      allow(role, {
        sid: 'BuildSecrets',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [
          arnIn('secretsmanager', `secret:${props.secretsPrefix}${SECRET_NAMES.gitToken}*`),
          arnIn('secretsmanager', `secret:${props.secretsPrefix}${SECRET_NAMES.buildEnv}*`),
        ],
        why: "StartBuild passes the app's git token and build config as SECRETS_MANAGER variables, never in plain text (git-token/<app>, build-env/<app>); AWS appends a random suffix to secret names.",
      });
    }
  }
}

function readBuildspec(file: string, prop: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (cause) {
    throw new WharfConfigError(
      prop,
      `cannot read ${file}: give a CodeBuild buildspec file (see buildpacks/codebuild/)`,
      {
        cause,
      },
    );
  }
  const spec = parseYaml(text) as unknown;
  if (typeof spec !== 'object' || spec === null || !('phases' in spec)) {
    throw new WharfConfigError(
      'buildspecFile',
      `${file} is not a CodeBuild buildspec (no phases): fix the file`,
    );
  }
  return spec as Record<string, unknown>;
}
