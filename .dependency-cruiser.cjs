/** Layer rules from docs/architecture.md: core <- adapters <- composition roots; cli -> api only. */
module.exports = {
  forbidden: [
    {
      name: 'core-is-pure',
      comment: 'The core imports no AWS SDK, CDK, middy, child processes, nor any other layer.',
      severity: 'error',
      from: { path: '^core/' },
      to: {
        path: [
          '^node_modules/(@aws-sdk|aws-cdk-lib|constructs|@middy|@aws-lambda-powertools|cdk-nag)',
          '^(api|adapters|local|cli|buildpacks|functions|infra)/',
        ],
      },
    },
    {
      name: 'core-no-child-process',
      severity: 'error',
      from: { path: '^core/' },
      to: { path: '^(node:)?(child_process|cluster)$', dependencyTypes: ['core'] },
    },
    {
      name: 'api-depends-on-core-only',
      comment: 'The API contract and client are shared by the CLI and servers: no adapters, no AWS.',
      severity: 'error',
      from: { path: '^api/' },
      to: {
        path: [
          '^(adapters|local|cli|buildpacks|functions|infra)/',
          '^node_modules/(@aws-sdk|aws-cdk-lib|@middy)',
        ],
      },
    },
    {
      name: 'cli-through-api',
      comment: 'The CLI talks to the platform only through the typed API client.',
      severity: 'error',
      from: { path: '^cli/' },
      to: {
        path: '^(core|adapters|functions|infra|buildpacks)/',
        pathNot: [
          '^core/(errors|validation|domain)\\.ts$',
          // cli/aws follows logs with Live Tail itself (API Gateway cannot stream): see docs/cli-on-aws.md
          '^adapters/aws/(live-tail|log-streams)\\.ts$',
        ],
      },
    },
    {
      name: 'cli-aws-adapters-only-from-cli-aws',
      comment: 'Only cli/aws/ may use the two Live Tail modules of adapters/aws.',
      severity: 'error',
      from: { path: '^cli/', pathNot: '^cli/aws/' },
      to: { path: '^adapters/' },
    },
    {
      name: 'cli-aws-sdk-only-in-cli-aws',
      comment: 'The AWS SDK (signing, credentials, Live Tail) stays in cli/aws/, out of the local path.',
      severity: 'error',
      from: { path: '^cli/', pathNot: '^cli/aws/' },
      to: { path: '^node_modules/(@aws-sdk|@smithy|@aws-crypto)/' },
    },
    {
      name: 'cli-aws-loaded-lazily',
      comment: 'The CLI starts fast for local use: the rest of cli/ loads cli/aws/ only with import().',
      severity: 'error',
      from: { path: '^cli/', pathNot: '^cli/aws/' },
      to: { path: '^cli/aws/', dependencyTypesNot: ['dynamic-import', 'type-only'] },
    },
    {
      name: 'adapters-local-no-aws',
      severity: 'error',
      from: { path: '^adapters/local/' },
      to: { path: ['^adapters/aws/', '^node_modules/(@aws-sdk|aws-cdk-lib|@middy)'] },
    },
    {
      name: 'adapters-aws-no-local',
      severity: 'error',
      from: { path: '^adapters/aws/' },
      to: { path: ['^adapters/local/', '^local/'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['cdk.out', 'fixtures'] },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
