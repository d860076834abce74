import { Duration } from 'aws-cdk-lib';
import type * as codebuild from 'aws-cdk-lib/aws-codebuild';
import type * as ecs from 'aws-cdk-lib/aws-ecs';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { arnIn } from './control-plane-policy.ts';
import { NAME_PREFIXES } from './deploy-settings.ts';

export interface WharfEventRulesProps {
  readonly name: string;
  readonly projects: codebuild.IProject[];
  readonly cluster: ecs.ICluster;
  readonly buildEvents: lambda.IFunction;
  readonly taskEvents: lambda.IFunction;
  readonly stackEvents: lambda.IFunction;
  readonly deadLetterQueue: sqs.IQueue;
}

/** EventBridge rules: AWS tells the control plane what changed, limited to Wharf's own resources. */
export class WharfEventRules extends Construct {
  readonly buildStateRule: events.Rule;
  readonly taskStateRule: events.Rule;
  readonly deploymentStateRule: events.Rule;
  readonly stackStatusRule: events.Rule;

  constructor(scope: Construct, id: string, props: WharfEventRulesProps) {
    super(scope, id);
    const target = (fn: lambda.IFunction) =>
      new targets.LambdaFunction(fn, {
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts: 8,
        maxEventAge: Duration.hours(2),
      });

    this.buildStateRule = new events.Rule(this, 'BuildState', {
      description: 'Wharf builds: CodeBuild state changes to the build-events handler',
      eventPattern: {
        source: ['aws.codebuild'],
        detailType: ['CodeBuild Build State Change'],
        detail: { 'project-name': props.projects.map((p) => p.projectName) },
      },
      targets: [target(props.buildEvents)],
    });
    this.taskStateRule = new events.Rule(this, 'TaskState', {
      description: 'Wharf apps: ECS task state changes in the Wharf cluster to the task-events handler',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Task State Change'],
        detail: { clusterArn: [props.cluster.clusterArn] },
      },
      targets: [target(props.taskEvents)],
    });
    this.deploymentStateRule = new events.Rule(this, 'DeploymentState', {
      description: 'Wharf deploys: ECS deployment state changes (circuit breaker) to the task-events handler',
      eventPattern: {
        source: ['aws.ecs'],
        detailType: ['ECS Deployment State Change'],
        resources: events.Match.prefix(arnIn('ecs', `service/${props.cluster.clusterName}/`)),
      },
      targets: [target(props.taskEvents)],
    });
    this.stackStatusRule = new events.Rule(this, 'StackStatus', {
      description: 'Wharf resources: resource stack status changes to the stack-events handler',
      eventPattern: {
        source: ['aws.cloudformation'],
        detailType: ['CloudFormation Stack Status Change'],
        resources: events.Match.prefix(
          arnIn('cloudformation', `stack/${props.name}-${NAME_PREFIXES.resourceStack}`),
        ),
      },
      targets: [target(props.stackEvents)],
    });
  }
}
