/** EventBridge "CodeBuild Build State Change" events of a Wharf build, as the build-events function gets them. */
const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64');

export function buildSucceeded(
  buildId: string,
  image: string,
  processTypes: Record<string, string>,
  configDefaults: Record<string, string> = {},
) {
  return {
    id: `ev-${buildId}`,
    'detail-type': 'CodeBuild Build State Change',
    source: 'aws.codebuild',
    detail: {
      'build-status': 'SUCCEEDED',
      'additional-information': {
        environment: {
          'environment-variables': [{ name: 'WHARF_BUILD_ID', value: buildId, type: 'PLAINTEXT' }],
        },
        'exported-environment-variables': [
          { name: 'WHARF_IMAGE_URI', value: image },
          { name: 'WHARF_PROCESS_TYPES', value: b64(processTypes) },
          { name: 'WHARF_CONFIG_DEFAULTS', value: b64(configDefaults) },
        ],
        phases: [],
      },
    },
  };
}
