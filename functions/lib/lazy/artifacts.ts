/** Loaded on first use of the artifact store: S3 (with the presigner) and ECR. */
import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ArtifactStore } from '../../../adapters/aws/s3-artifact-store.ts';

export function makeArtifactStore(region: string, bucket: string, repository: string): S3ArtifactStore {
  return new S3ArtifactStore({
    // Without this the SDK signs a CRC32 of an empty body into presigned PUT URLs, and S3
    // refuses every real upload (aws-sdk-js-v3#6994): `wharf deploy` uploads through one.
    s3: new S3Client({ region, requestChecksumCalculation: 'WHEN_REQUIRED' }),
    bucket,
    ecr: new ECRClient({ region }),
    repository,
  });
}
