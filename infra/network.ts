import { Fn, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { WharfConfigError } from './errors.ts';
import { acknowledge } from './nag.ts';
import type { NatMode } from './props.ts';

export interface WharfNetworkProps {
  /** @default - a new VPC */
  readonly vpc?: ec2.IVpc;
  /** @default - private subnets with egress if any, else public subnets */
  readonly taskSubnets?: ec2.SubnetSelection;
  readonly azCount: number;
  readonly natMode: NatMode;
  readonly vpcCidr: string;
  readonly logRetention: logs.RetentionDays;
}

/** The VPC: a new one (2 or 3 AZs, egress per NatMode, flow logs) or an existing one. */
export class WharfNetwork extends Construct {
  readonly vpc: ec2.IVpc;
  /** Where app tasks run. */
  readonly taskSubnets: ec2.SelectedSubnets;
  /** Where the load balancers sit. */
  readonly publicSubnets: ec2.SelectedSubnets;
  /** True when tasks need a public IP to pull images (no NAT, no endpoints). */
  readonly assignPublicIp: boolean;

  constructor(scope: Construct, id: string, props: WharfNetworkProps) {
    super(scope, id);
    if (props.vpc) {
      this.vpc = props.vpc;
      if (this.vpc.publicSubnets.length === 0) {
        throw new WharfConfigError(
          'vpc (context wharf:publicSubnetIds)',
          'the VPC has no public subnets, and the load balancer is internet-facing: give a VPC with public subnets',
        );
      }
      const selection = props.taskSubnets ?? {
        subnetType:
          this.vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC,
      };
      this.taskSubnets = this.vpc.selectSubnets(selection);
      const publicIds = new Set(this.vpc.publicSubnets.map((s) => s.subnetId));
      this.assignPublicIp = this.taskSubnets.subnets.some((s) => publicIds.has(s.subnetId));
    } else {
      const vpc = this.createVpc(props);
      this.vpc = vpc;
      const type =
        props.natMode === 'none'
          ? ec2.SubnetType.PUBLIC
          : props.natMode === 'endpoints'
            ? ec2.SubnetType.PRIVATE_ISOLATED
            : ec2.SubnetType.PRIVATE_WITH_EGRESS;
      this.taskSubnets = vpc.selectSubnets({ subnetType: type });
      this.assignPublicIp = props.natMode === 'none';
    }
    this.publicSubnets = this.vpc.selectSubnets({ subnetType: ec2.SubnetType.PUBLIC });
  }

  private createVpc(props: WharfNetworkProps): ec2.Vpc {
    const stack = Stack.of(this);
    // Without both account and region a stack only knows two AZs by name; Fn::GetAZs
    // picks the region's first three at deploy time, so a third AZ needs no lookup.
    const availabilityZones =
      Token.isUnresolved(stack.region) || Token.isUnresolved(stack.account)
        ? Array.from({ length: props.azCount }, (_, i) => Fn.select(i, Fn.getAzs()))
        : undefined;
    const privateType =
      props.natMode === 'endpoints' ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS;
    const subnetConfiguration: ec2.SubnetConfiguration[] = [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 22, mapPublicIpOnLaunch: false },
    ];
    if (props.natMode !== 'none')
      subnetConfiguration.push({ name: 'Tasks', subnetType: privateType, cidrMask: 20 });
    const natGateways =
      props.natMode === 'gateway-per-az' ? props.azCount : props.natMode === 'single-gateway' ? 1 : 0;
    const vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.vpcCidr),
      ...(availabilityZones ? { availabilityZones } : { maxAzs: props.azCount }),
      natGateways,
      subnetConfiguration,
      restrictDefaultSecurityGroup: false,
      flowLogs: {
        Rejected: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(
            new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention }),
          ),
          trafficType: ec2.FlowLogTrafficType.REJECT,
        },
      },
    });
    // Free, and it keeps ECR layer downloads (stored in S3) off the NAT gateway's per-GB bill.
    vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    if (props.natMode === 'endpoints') this.addInterfaceEndpoints(vpc);
    return vpc;
  }

  /** What a task needs with no internet: pull from ECR, write logs, read secrets. */
  private addInterfaceEndpoints(vpc: ec2.Vpc): void {
    const services: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
      EcrApi: ec2.InterfaceVpcEndpointAwsService.ECR,
      EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
      Logs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
      Secrets: ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER,
    };
    for (const [id, service] of Object.entries(services)) {
      const endpoint = vpc.addInterfaceEndpoint(id, {
        service,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });
      acknowledge(
        endpoint,
        'EC23',
        "The endpoint admits HTTPS from the VPC's own CIDR only; cdk-nag cannot read that CIDR (a reference to the VPC).",
      );
    }
  }
}
