/**
 * ArtifactStore on S3 (slugs) and ECR (images), plus the presigned upload URL that
 * `wharf deploy` uses to send a `git archive` of the source without git-host access.
 */
import { mkdir } from 'node:fs/promises';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Readable } from 'node:stream';
import { BatchDeleteImageCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ValidationError } from '../../core/errors.ts';
import type { ArtifactStore } from '../../core/ports.ts';
import { type BackoffOptions, awsCall } from './aws-errors.ts';

export interface S3ArtifactStoreOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly ecr?: ECRClient;
  /** the ECR repository that holds app images */
  readonly repository?: string;
  /** where resolve() downloads to (Lambda: /tmp) */
  readonly scratchDir?: string;
  readonly backoff?: BackoffOptions;
}

export interface SourceUpload {
  readonly url: string;
  /** where the build reads it from: `bucket/key` */
  readonly location: string;
  readonly key: string;
  readonly expiresInSeconds: number;
}

const IMAGE_URI =
  /^(\d{12})\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?\/([^@:]+)(?::([^@]+))?(?:@(sha256:[0-9a-f]{64}))?$/;

export class S3ArtifactStore implements ArtifactStore {
  private readonly options: S3ArtifactStoreOptions;

  constructor(options: S3ArtifactStoreOptions) {
    this.options = options;
  }

  async put(app: string, buildId: string, slugPath: string): Promise<string> {
    const key = `slugs/${app}/${buildId}.tgz`;
    const size = (await stat(slugPath)).size;
    await awsCall(
      `upload slug of ${app}`,
      () =>
        this.options.s3.send(
          new PutObjectCommand({
            Bucket: this.options.bucket,
            Key: key,
            Body: createReadStream(slugPath),
            ContentLength: size,
            ContentType: 'application/gzip',
          }),
        ),
      this.options.backoff,
    );
    return `s3://${this.options.bucket}/${key}`;
  }

  async resolve(uri: string): Promise<string> {
    const { bucket, key } = parseS3Uri(uri);
    const dir = this.options.scratchDir ?? '/tmp/wharf-artifacts';
    await mkdir(dir, { recursive: true });
    const path = join(dir, key.replaceAll('/', '_'));
    const out = await awsCall(
      `download ${uri}`,
      () => this.options.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key })),
      this.options.backoff,
    );
    await pipeline(out.Body as Readable, createWriteStream(path));
    return path;
  }

  async remove(uri: string): Promise<void> {
    const image = IMAGE_URI.exec(uri);
    if (image) {
      const [, registryId, repositoryName, tag, digest] = image;
      if (!this.options.ecr)
        throw new ValidationError(`cannot remove image ${uri}: no ECR client configured`);
      const ecr = this.options.ecr;
      await awsCall(
        `remove image ${uri}`,
        () =>
          ecr.send(
            new BatchDeleteImageCommand({
              registryId,
              repositoryName,
              imageIds: [digest ? { imageDigest: digest } : { imageTag: tag ?? 'latest' }],
            }),
          ),
        this.options.backoff,
      );
      return;
    }
    const { bucket, key } = parseS3Uri(uri);
    await awsCall(
      `remove ${uri}`,
      () => this.options.s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })),
      this.options.backoff,
    );
  }

  /** A URL the CLI can PUT a source archive to for the next 15 minutes. */
  async presignSourceUpload(app: string, uploadId: string, expiresInSeconds = 900): Promise<SourceUpload> {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(uploadId)) throw new ValidationError(`invalid upload id "${uploadId}"`);
    const key = `sources/${app}/${uploadId}.tar.gz`;
    const url = await getSignedUrl(
      this.options.s3,
      new PutObjectCommand({ Bucket: this.options.bucket, Key: key, ContentType: 'application/gzip' }),
      { expiresIn: expiresInSeconds },
    );
    return { url, key, location: `${this.options.bucket}/${key}`, expiresInSeconds };
  }
}

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new ValidationError(`not an S3 artifact uri: "${uri}" (expected s3://bucket/key)`);
  return { bucket: m[1]!, key: m[2]! };
}
