/**
 * Synthesizes the resource templates (infra/resources) to `<outDir>/<provider>.json`. The
 * platform stack ships them in the functions' code by itself; this is for a look, or for
 * an upload to S3 when WHARF_RESOURCE_TEMPLATES_URL points the control plane at a bucket.
 * Usage: node scripts/synth-resource-templates.ts [outDir]   (default cdk.out/resource-templates)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  MAX_TEMPLATE_BODY_BYTES,
  synthResourceTemplate,
  TEMPLATE_PROVIDERS,
} from '../infra/resources/templates.ts';

const outDir = resolve(process.argv[2] ?? 'cdk.out/resource-templates');
await mkdir(outDir, { recursive: true });
for (const provider of TEMPLATE_PROVIDERS) {
  const body = synthResourceTemplate(provider);
  if (Buffer.byteLength(body) > MAX_TEMPLATE_BODY_BYTES) {
    process.stderr.write(
      `!     ${provider}: ${body.length} bytes, past CreateStack's TemplateBody limit: upload it to S3\n`,
    );
  }
  await writeFile(join(outDir, `${provider}.json`), `${body}\n`);
  process.stderr.write(`----> ${provider}: ${join(outDir, `${provider}.json`)} (${body.length} bytes)\n`);
}
