import * as path from 'node:path';
import { App, Stack, type StackProps } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { WharfPlatform } from '../../infra/platform.ts';
import type { WharfPlatformProps } from '../../infra/props.ts';
import { WharfStack } from '../../infra/stack.ts';

const FIXTURES = path.join(import.meta.dirname, 'fixtures');

/** Stand-in handlers and buildspecs, so construct tests depend on neither functions/ nor buildpacks/. */
export const FIXTURE_PROPS: WharfPlatformProps = {
  functionsDirectory: path.join(FIXTURES, 'functions'),
  runnerDirectory: path.join(FIXTURES, 'buildpacks'),
};

/**
 * An app for construct tests. Its stacks bundle their functions (esbuild on the stand-in
 * handlers, once per test process: infra/lambda-code.ts caches the bundles).
 */
export function testApp(context: Record<string, unknown> = {}): App {
  return new App({ context });
}

export interface Synthesized {
  readonly stack: Stack;
  readonly platform: WharfPlatform;
  readonly template: Template;
  /** cdk-nag AwsSolutions findings (errors and warnings) that no acknowledgement covers. */
  readonly nag: { rule: string; severity: string; paths: string[] }[];
}

/** Builds a stack with one WharfPlatform, runs cdk-nag over it and synthesizes it once. */
export function synthPlatform(
  props: WharfPlatformProps = {},
  build?: (stack: Stack) => WharfPlatformProps,
  stackProps: StackProps = {},
): Synthesized {
  const app = testApp();
  const stack = new Stack(app, 'Test', stackProps);
  const platform = new WharfPlatform(stack, 'Wharf', { ...FIXTURE_PROPS, ...build?.(stack), ...props });
  return finish(app, stack, platform);
}

/** The ready stack, configured from context the way `cdk synth -c` does. */
export function synthReadyStack(context: Record<string, unknown>, stackProps: StackProps = {}): Synthesized {
  const app = testApp(context);
  const stack = new WharfStack(app, 'Wharf', { ...stackProps, platform: FIXTURE_PROPS });
  return finish(app, stack, stack.platform);
}

function finish(app: App, stack: Stack, platform: WharfPlatform): Synthesized {
  const report = new AwsSolutionsChecks().validateScope(app);
  const nag = report.violations.map((v) => ({
    rule: v.ruleName,
    severity: v.severity ?? 'error',
    paths: v.violatingResources.map((r) => (r as { constructPath?: string }).constructPath ?? ''),
  }));
  return { stack, platform, template: Template.fromStack(stack), nag };
}

type Json = Record<string, unknown>;

/** Every IAM policy statement in a template: inline role policies, policies and managed policies. */
export function iamStatements(template: Template): { where: string; statement: Json }[] {
  const out: { where: string; statement: Json }[] = [];
  const resources = template.toJSON().Resources as Record<string, { Type: string; Properties?: Json }>;
  for (const [id, r] of Object.entries(resources)) {
    const docs: unknown[] = [];
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy')
      docs.push(r.Properties?.PolicyDocument);
    if (r.Type === 'AWS::IAM::Role') {
      for (const p of (r.Properties?.Policies as { PolicyDocument: unknown }[] | undefined) ?? []) {
        docs.push(p.PolicyDocument);
      }
    }
    for (const doc of docs) {
      for (const statement of (doc as { Statement: Json[] }).Statement) out.push({ where: id, statement });
    }
  }
  return out;
}

export function asList(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

/** The resource of one type whose logical id contains `fragment`. */
export function resourceProps(template: Template, type: string, fragment: string): Json {
  const found = Object.entries(template.findResources(type)).filter(([id]) => id.includes(fragment));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type} with '${fragment}' in its id, found ${found.map(([id]) => id).join(', ')}`,
    );
  }
  return (found[0]![1] as { Properties: Json }).Properties;
}
