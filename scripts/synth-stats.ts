/**
 * Prints how long the Wharf platform takes to synthesize and how big its template is,
 * for each configuration variant. Asset bundling (esbuild) is skipped unless --bundle is
 * given, so the figures are CDK's own; with --bundle they include the five esbuild runs.
 *
 *   node scripts/synth-stats.ts [--bundle] [--json]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WharfStack } from '../infra/stack.ts';

const bundle = process.argv.includes('--bundle');
const json = process.argv.includes('--json');
const CLOUDFORMATION_BODY_LIMIT = 1_000_000; // bytes, for templates uploaded to S3

const variants: Record<string, Record<string, unknown>> = {
  'new VPC, 2 AZ, single NAT (default)': {},
  'new VPC, 3 AZ, NAT per AZ': { 'wharf:azCount': 3, 'wharf:natMode': 'gateway-per-az' },
  'no NAT': { 'wharf:natMode': 'none' },
  'VPC endpoints': { 'wharf:natMode': 'endpoints' },
  'existing VPC': {
    'wharf:vpcId': 'vpc-0123456789abcdef0',
    'wharf:publicSubnetIds': 'subnet-0123456789abcdef0,subnet-0123456789abcdef1',
    'wharf:privateSubnetIds': 'subnet-0123456789abcdef2,subnet-0123456789abcdef3',
    'wharf:availabilityZones': 'us-east-1a,us-east-1b',
  },
  'domain + hosted zone, 4 ALBs': {
    'wharf:domain': 'apps.example.com',
    'wharf:hostedZoneId': 'Z0123456789ABCDEFGHIJ',
    'wharf:hostedZoneName': 'example.com',
    'wharf:loadBalancers': 4,
  },
};

interface Row {
  variant: string;
  synthMs: number;
  resources: number;
  templateBytes: number;
  minifiedBytes: number;
}

const rows: Row[] = [];
for (const [variant, context] of Object.entries(variants)) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'wharf-synth-'));
  const started = performance.now();
  const app = new App({
    outdir,
    context: { ...context, ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  const stack = new WharfStack(app, 'Wharf');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const synthMs = performance.now() - started;
  const file = path.join(assembly.directory, assembly.getStackByName(stack.stackName).templateFile);
  const text = fs.readFileSync(file, 'utf8');
  const template = JSON.parse(text) as { Resources: Record<string, unknown> };
  rows.push({
    variant,
    synthMs: Math.round(synthMs),
    resources: Object.keys(template.Resources).length,
    templateBytes: Buffer.byteLength(text),
    minifiedBytes: Buffer.byteLength(JSON.stringify(template)),
  });
  fs.rmSync(outdir, { recursive: true, force: true });
}

if (json) {
  process.stdout.write(`${JSON.stringify({ bundle, rows }, null, 2)}\n`);
} else {
  process.stdout.write(
    `synth of the ready stack (cdk-nag included; bundling ${bundle ? 'on' : 'skipped'})\n`,
  );
  process.stdout.write(
    `${'variant'.padEnd(40)} ${'synth ms'.padStart(9)} ${'resources'.padStart(9)} ${'template'.padStart(10)} ${'minified'.padStart(10)}  of limit\n`,
  );
  for (const r of rows) {
    const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
    const share = `${((r.minifiedBytes / CLOUDFORMATION_BODY_LIMIT) * 100).toFixed(1)} %`;
    process.stdout.write(
      `${r.variant.padEnd(40)} ${String(r.synthMs).padStart(9)} ${String(r.resources).padStart(9)} ${kb(r.templateBytes).padStart(10)} ${kb(r.minifiedBytes).padStart(10)}  ${share}\n`,
    );
  }
  process.stdout.write(
    'the first row includes loading the CDK modules; CloudFormation accepts 1 MB from S3\n',
  );
}
