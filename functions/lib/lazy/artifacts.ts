/** Loaded on first use of the artifact store: S3 (with the presigner) and ECR. */
import { ECRClient } from '@aws-sdk/client-ecr';
import { S3Client } from '@aws-sdk/client-s3';
import { S3ArtifactStore } from '../../../adapters/aws/s3-artifact-store.ts';

export function makeArtifactStore(region: string, bucket: string, repository: string): S3ArtifactStore {
  return new S3ArtifactStore({
    s3: new S3Client({ region }),
    bucket,
    ecr: new ECRClient({ region }),
    repository,
  });
}
