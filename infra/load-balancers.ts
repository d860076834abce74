import { Aws, Duration, Fn, Stack, Token } from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as targets from 'aws-cdk-lib/aws-route53-targets';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { FactName } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { acknowledge } from './nag.ts';

export interface WharfLoadBalancersProps {
  readonly name: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SelectedSubnets;
  readonly count: number;
  readonly domain: string | undefined;
  readonly certificate: acm.ICertificate | undefined;
  readonly hostedZone: route53.IHostedZone | undefined;
  readonly logBucket: s3.IBucket;
  readonly taskSecurityGroup: ec2.ISecurityGroup;
}

/**
 * The internet-facing load balancers ("shards"). Each has an HTTP listener and, with a
 * domain, an HTTPS one; the control plane adds one rule and target group per route on
 * the routing listener (HTTPS with a domain, else HTTP). The default action answers 404.
 */
export class WharfLoadBalancers extends Construct {
  readonly loadBalancers: elbv2.ApplicationLoadBalancer[] = [];
  /** Per shard, the listener the control plane adds route rules to. */
  readonly routingListeners: elbv2.ApplicationListener[] = [];
  readonly securityGroup: ec2.SecurityGroup;
  /** The wildcard certificate, when a domain is configured. */
  readonly certificate: acm.ICertificate | undefined;

  constructor(scope: Construct, id: string, props: WharfLoadBalancersProps) {
    super(scope, id);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `Wharf (${props.name}) load balancers`,
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP from anywhere');
    if (props.domain)
      this.securityGroup.addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS from anywhere');
    acknowledge(
      this.securityGroup,
      'EC23',
      'Internet-facing load balancers of public web apps accept any IPv4 address.',
    );
    // Apps listen on whatever PORT the control plane gives them.
    this.securityGroup.addEgressRule(props.taskSecurityGroup, ec2.Port.allTcp(), 'to app tasks');
    props.taskSecurityGroup.addIngressRule(this.securityGroup, ec2.Port.allTcp(), 'from the load balancers');

    if (props.domain) {
      this.certificate =
        props.certificate ??
        new acm.Certificate(this, 'Certificate', {
          domainName: `*.${props.domain}`,
          subjectAlternativeNames: [props.domain],
          validation: props.hostedZone
            ? acm.CertificateValidation.fromDns(props.hostedZone)
            : acm.CertificateValidation.fromDns(),
        });
    }

    for (let i = 0; i < props.count; i++) this.addShard(i, props);

    if (props.hostedZone && props.domain) {
      const target = route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(this.loadBalancers[0]!));
      new route53.ARecord(this, 'WildcardRecord', {
        zone: props.hostedZone,
        recordName: `*.${props.domain}`,
        target,
        comment:
          'Wharf apps on the first load balancer; the control plane adds per-app records for other shards',
      });
    }
  }

  private addShard(i: number, props: WharfLoadBalancersProps): void {
    const alb = new elbv2.ApplicationLoadBalancer(this, `Shard${i}`, {
      loadBalancerName: `${props.name}-alb-${i}`,
      vpc: props.vpc,
      vpcSubnets: { subnets: props.subnets.subnets },
      internetFacing: true,
      securityGroup: this.securityGroup,
      dropInvalidHeaderFields: true,
      http2Enabled: true,
      idleTimeout: Duration.seconds(60),
    });
    this.logAccessLogs(alb, props.logBucket, `alb/${props.name}-alb-${i}`);
    const notFound = elbv2.ListenerAction.fixedResponse(404, {
      contentType: 'text/plain',
      messageBody: 'No Wharf app is routed at this address.\n',
    });
    let routing: elbv2.ApplicationListener;
    if (this.certificate) {
      routing = alb.addListener('Https', {
        port: 443,
        protocol: elbv2.ApplicationProtocol.HTTPS,
        certificates: [this.certificate],
        sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
        defaultAction: notFound,
        open: false,
      });
      alb.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultAction: elbv2.ListenerAction.redirect({ protocol: 'HTTPS', port: '443', permanent: true }),
        open: false,
      });
    } else {
      routing = alb.addListener('Http', {
        port: 80,
        protocol: elbv2.ApplicationProtocol.HTTP,
        defaultAction: notFound,
        open: false,
      });
    }
    this.loadBalancers.push(alb);
    this.routingListeners.push(routing);
  }

  /**
   * CDK's logAccessLogs needs the region to pick the principal that writes the logs. An
   * environment-agnostic stack grants both: the regional Elastic Load Balancing account
   * (Regions older than August 2022, looked up at deploy time from a mapping) and the
   * log-delivery service principal (newer Regions). A Region missing from the mapping
   * fails the deploy: pin the region then (context wharf:region), see docs/aws.md.
   */
  private logAccessLogs(alb: elbv2.ApplicationLoadBalancer, bucket: s3.IBucket, prefix: string): void {
    const stack = Stack.of(this);
    if (!Token.isUnresolved(stack.region)) {
      alb.logAccessLogs(bucket, prefix);
      return;
    }
    alb.setAttribute('access_logs.s3.enabled', 'true');
    alb.setAttribute('access_logs.s3.bucket', bucket.bucketName);
    alb.setAttribute('access_logs.s3.prefix', prefix);
    const objects = bucket.arnForObjects(`${prefix}/AWSLogs/${Aws.ACCOUNT_ID}/*`);
    const elbAccount = stack.regionalFact(FactName.ELBV2_ACCOUNT);
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `ElbAccessLogs${alb.node.id}`,
        principals: [new iam.ArnPrincipal(`arn:${Aws.PARTITION}:iam::${elbAccount}:root`)],
        actions: ['s3:PutObject'],
        resources: [objects],
      }),
    );
    bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: `ElbLogDelivery${alb.node.id}`,
        principals: [new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [objects],
      }),
    );
    // The load balancer checks it may write when access logs are turned on.
    if (bucket.policy) alb.node.addDependency(bucket.policy);
  }

  /** `arn,arn` of every shard, for the functions' environment. */
  get loadBalancerArns(): string {
    return Fn.join(
      ',',
      this.loadBalancers.map((lb) => lb.loadBalancerArn),
    );
  }

  get listenerArns(): string {
    return Fn.join(
      ',',
      this.routingListeners.map((l) => l.listenerArn),
    );
  }
}
