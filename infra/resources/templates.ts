/**
 * Resource templates: one CDK stack per provider, synthesized to plain CloudFormation
 * JSON with no bootstrap parameters or assets, so that the control plane can pass it
 * straight to CreateStack. The platform ships them in the functions' code
 * (resourceTemplateFiles, infra/platform.ts); scripts/synth-resource-templates.ts writes
 * them to a folder, for an upload to S3 or a look.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, BootstraplessSynthesizer, type Stack } from 'aws-cdk-lib';
import type { ResourceProvider } from '../../core/domain.ts';
import { AuroraResourceStack } from './aurora.ts';
import { BlobResourceStack } from './blob.ts';
import { CacheResourceStack } from './cache.ts';
import { DocumentResourceStack } from './document.ts';

export const TEMPLATE_PROVIDERS: readonly ResourceProvider[] = [
  'postgres',
  'postgis',
  'mysql',
  'redis',
  'document',
  'blob',
];

/** CreateStack's limit for an inline TemplateBody. */
export const MAX_TEMPLATE_BODY_BYTES = 51_200;

export function resourceTemplateStack(app: App, provider: ResourceProvider): Stack {
  const id = `WharfResource-${provider}`;
  const props = {
    synthesizer: new BootstraplessSynthesizer(),
    description: `Wharf resource: ${provider}`,
    // The same template whether synthesized by the script or inside `cdk synth` (which turns reporting on).
    analyticsReporting: false,
  };
  switch (provider) {
    case 'postgres':
    case 'postgis':
    case 'mysql':
      return new AuroraResourceStack(app, id, { ...props, provider });
    case 'redis':
      return new CacheResourceStack(app, id, props);
    case 'document':
      return new DocumentResourceStack(app, id, props);
    case 'blob':
      return new BlobResourceStack(app, id, props);
  }
}

/** The template of one provider as a JSON string. */
export function synthResourceTemplate(provider: ResourceProvider): string {
  // An outdir of its own: inside `cdk synth` an App would otherwise write into the
  // platform's cloud assembly (CDK_OUTDIR).
  const outdir = mkdtempSync(join(tmpdir(), 'wharf-resource-template-'));
  try {
    const app = new App({ outdir });
    const stack = resourceTemplateStack(app, provider);
    const assembly = app.synth();
    return JSON.stringify(assembly.getStackByName(stack.stackName).template);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Where the templates sit in the functions' code (`<code root>/templates/<provider>.json`). */
export const TEMPLATES_DIR_IN_CODE = 'templates';

let templateFiles: Readonly<Record<string, string>> | undefined;

/**
 * Every provider's template as `templates/<provider>.json`, synthesized once per process
 * (each is a CDK synth of its own). They ship inside the functions' code and go to
 * CreateStack as TemplateBody, so each must stay under its 51,200-byte limit.
 */
export function resourceTemplateFiles(): Readonly<Record<string, string>> {
  if (templateFiles) return templateFiles;
  const files: Record<string, string> = {};
  for (const provider of TEMPLATE_PROVIDERS) {
    const body = synthResourceTemplate(provider);
    const bytes = Buffer.byteLength(body);
    if (bytes > MAX_TEMPLATE_BODY_BYTES) {
      throw new ResourceTemplateTooLargeError(provider, bytes);
    }
    files[`${TEMPLATES_DIR_IN_CODE}/${provider}.json`] = body;
  }
  templateFiles = files;
  return files;
}

export class ResourceTemplateTooLargeError extends Error {
  constructor(provider: ResourceProvider, bytes: number) {
    super(
      `the ${provider} resource template is ${bytes} bytes, past CreateStack's ${MAX_TEMPLATE_BODY_BYTES}-byte TemplateBody limit: shrink infra/resources, or upload the templates to S3 and set WHARF_RESOURCE_TEMPLATES_URL instead (adapters/aws/resources/templates.ts urlTemplateSource)`,
    );
    this.name = 'ResourceTemplateTooLargeError';
  }
}
