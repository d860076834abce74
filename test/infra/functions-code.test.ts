/**
 * The functions' code is what the bundle bench measures (functions/lib/bundling.ts) and
 * carries the resource templates the provisioner asks for.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { templateSourceFor } from '../../adapters/aws/resources/templates.ts';
import { RESOURCE_PROVIDERS } from '../../core/resources/providers.ts';
import { lambdaEsbuildOptions } from '../../functions/lib/bundling.ts';
import { WharfConfigError } from '../../infra/errors.ts';
import { bundleFunction, functionCode, HANDLER } from '../../infra/lambda-code.ts';
import { REPO_ROOT } from '../../infra/props.ts';
import { MAX_TEMPLATE_BODY_BYTES } from '../../infra/resources/templates.ts';
import { FIXTURE_PROPS, synthPlatform } from './helpers.ts';

const { stack, template } = synthPlatform();
const assembly = (stack.node.root as App).outdir;
const fixtures = FIXTURE_PROPS.functionsDirectory!;

type Fn = {
  Properties: {
    FunctionName: string;
    Code: { S3Key: string };
    Environment: { Variables: Record<string, unknown> };
  };
};
const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Fn[];

/** The staged asset directory of a function in the cloud assembly. */
function codeOf(functionName: string): string {
  const fn = functions.find((f) => f.Properties.FunctionName === functionName);
  if (!fn) throw new Error(`no function ${functionName}`);
  return path.join(assembly, `asset.${fn.Properties.Code.S3Key.replace(/\.zip$/, '')}`);
}

function filesUnder(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => fs.statSync(path.join(dir, f)).isFile())
    .sort();
}

describe('function code', () => {
  it('runs every handler as index.handler on arm64 Node.js 24', () => {
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: fn.Properties.FunctionName,
        Handler: HANDLER,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
      });
    }
    expect(HANDLER).toBe('index.handler');
  });

  it('ships exactly what esbuild makes with the bench options: an ESM entry and its split chunks', () => {
    const code = codeOf('wharf-api');
    const expected = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-expected-'));
    buildSync({
      ...lambdaEsbuildOptions(),
      entryPoints: { index: path.join(fixtures, 'api.ts') },
      outdir: expected,
      outExtension: { '.js': '.mjs' },
      logLevel: 'silent',
    });
    const shipped = filesUnder(code).filter((f) => !f.startsWith('templates'));
    expect(shipped).toEqual(filesUnder(expected));
    expect(shipped).toContain('index.mjs');
    // The fixture's lazy import became a chunk of its own: code splitting is on.
    expect(shipped.filter((f) => /^lazy-part-.*\.mjs$/.test(f))).toHaveLength(1);
    for (const f of shipped) {
      expect(fs.readFileSync(path.join(code, f), 'utf8'), f).toBe(
        fs.readFileSync(path.join(expected, f), 'utf8'),
      );
    }
    const entry = fs.readFileSync(path.join(code, 'index.mjs'), 'utf8');
    expect(entry.startsWith(lambdaEsbuildOptions().banner.js)).toBe(true);
    fs.rmSync(expected, { recursive: true, force: true });
  });

  it('bundles the real handlers with the AWS SDK inside and lazily loaded adapters in chunks', () => {
    const dir = bundleFunction(path.join(REPO_ROOT, 'functions', 'api.ts'));
    const files = filesUnder(dir);
    expect(files).toContain('index.mjs');
    expect(files.filter((f) => f !== 'index.mjs' && f.endsWith('.mjs')).length).toBeGreaterThan(1);
    for (const f of files) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8');
      expect(text, f).not.toMatch(/from\s*["']@aws-sdk\//);
      expect(text, f).not.toMatch(/from\s*["']@smithy\//);
    }
  });

  it('refuses a handler esbuild cannot bundle, naming the file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-broken-'));
    const entry = path.join(dir, 'api.ts');
    fs.writeFileSync(entry, 'export const handler = (;\n');
    expect(() => bundleFunction(entry)).toThrow(WharfConfigError);
    expect(() => bundleFunction(entry)).toThrow(/esbuild cannot bundle .*api\.ts/);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stubs the code of a stack whose assets are not bundled in this run', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const other = new Stack(app, 'Other');
    const code = functionCode(other, path.join(fixtures, 'api.ts'));
    new lambda.Function(other, 'Fn', { code, handler: HANDLER, runtime: lambda.Runtime.NODEJS_24_X });
    app.synth();
    const dir = (code as lambda.AssetCode).path;
    expect(filesUnder(dir)).toEqual(['index.mjs']);
    expect(fs.readFileSync(path.join(dir, 'index.mjs'), 'utf8')).toContain('without bundling');
  });
});

describe('resource templates in the function code', () => {
  it('tells every function to read them from its code', () => {
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables['WHARF_RESOURCE_TEMPLATES_URL']).toBe(
        'file:///var/task/templates',
      );
    }
  });

  it('ships a template for every provider the provisioner accepts, under the CreateStack body limit', async () => {
    for (const fn of functions) {
      const dir = path.join(codeOf(fn.Properties.FunctionName), 'templates');
      // The provisioner's own lookup, pointed at the shipped folder as Lambda would see it.
      const source = templateSourceFor(pathToFileURL(dir).href);
      for (const { provider } of RESOURCE_PROVIDERS) {
        const template = await source.template(provider);
        if (!('body' in template)) throw new Error(`${provider}: expected a body`);
        expect(Buffer.byteLength(template.body), provider).toBeLessThanOrEqual(MAX_TEMPLATE_BODY_BYTES);
        const parsed = JSON.parse(template.body) as { Resources?: object; Parameters?: object };
        expect(Object.keys(parsed.Resources ?? {}).length, provider).toBeGreaterThan(0);
        expect(parsed.Parameters, provider).toHaveProperty('AppName');
      }
    }
  });

  it('reads an S3 folder as TemplateURL and refuses other schemes', async () => {
    const s3 = templateSourceFor('https://b.s3.eu-west-1.amazonaws.com/templates/');
    expect(await s3.template('redis')).toEqual({
      url: 'https://b.s3.eu-west-1.amazonaws.com/templates/redis.json',
    });
    expect(() => templateSourceFor('s3://b/templates')).toThrow(/neither file:\/\/ nor https:\/\//);
  });
});
