/** Where the control plane finds the resource templates synthesized at build time. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ResourceProvider } from '../../../core/domain.ts';
import { ValidationError } from '../../../core/errors.ts';

export type ResourceTemplate = { readonly body: string } | { readonly url: string };

export interface ResourceTemplateSource {
  template(provider: ResourceProvider): Promise<ResourceTemplate>;
}

/** Templates as `<dir>/<provider>.json` (scripts/synth-resource-templates.ts writes them). */
export function fileTemplateSource(dir: string): ResourceTemplateSource {
  const cache = new Map<ResourceProvider, Promise<ResourceTemplate>>();
  return {
    template(provider) {
      let found = cache.get(provider);
      if (!found) {
        found = readFile(join(dir, `${provider}.json`), 'utf8').then(
          (body) => ({ body }),
          (error: Error) => {
            cache.delete(provider);
            throw new Error(
              `the ${provider} resource template is missing from ${dir}: run \`node scripts/synth-resource-templates.ts ${dir}\` at build time`,
              { cause: error },
            );
          },
        );
        cache.set(provider, found);
      }
      return found;
    },
  };
}

/** Templates uploaded to S3 as `<baseUrl>/<provider>.json`, for templates past CreateStack's 51,200-byte body limit. */
export function urlTemplateSource(baseUrl: string): ResourceTemplateSource {
  return { template: async (provider) => ({ url: `${baseUrl.replace(/\/$/, '')}/${provider}.json` }) };
}

/** Templates given in memory (tests, or a bundle that embeds them). */
export function staticTemplateSource(
  bodies: Partial<Record<ResourceProvider, string>>,
): ResourceTemplateSource {
  return {
    template: async (provider) => {
      const body = bodies[provider];
      if (body === undefined) throw new Error(`no template for the ${provider} resource provider`);
      return { body };
    },
  };
}

/**
 * The source a templates URL names: `file:///var/task/templates` (templates shipped in the
 * function's code, as the platform stack does) or `https://<bucket>.s3.<region>.amazonaws.com/<prefix>`.
 */
export function templateSourceFor(url: string): ResourceTemplateSource {
  if (url.startsWith('file:')) return fileTemplateSource(fileURLToPath(url));
  if (url.startsWith('https://')) return urlTemplateSource(url);
  throw new ValidationError(
    `resource templates URL "${url}" is neither file:// nor https://: set WHARF_RESOURCE_TEMPLATES_URL to file:///<dir> or to the S3 URL of the folder holding <provider>.json`,
  );
}
