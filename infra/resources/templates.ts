/**
 * Resource templates: one CDK stack per provider, synthesized to plain CloudFormation
 * JSON with no bootstrap parameters or assets, so that the control plane can pass it
 * straight to CreateStack (scripts/synth-resource-templates.ts writes them at build time).
 */
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
  const props = { synthesizer: new BootstraplessSynthesizer(), description: `Wharf resource: ${provider}` };
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
  const app = new App();
  const stack = resourceTemplateStack(app, provider);
  const assembly = app.synth();
  return JSON.stringify(assembly.getStackByName(stack.stackName).template);
}
