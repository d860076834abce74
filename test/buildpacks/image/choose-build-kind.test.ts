import { describe, expect, it } from 'vitest';
import { chooseBuildKind } from '../../../buildpacks/codebuild/choose-build-kind.ts';

describe('chooseBuildKind', () => {
  const docker = ['Dockerfile', 'package.json', 'src/index.js'];

  it('builds an app with a root Dockerfile and no buildpack config with Docker', () => {
    expect(chooseBuildKind(docker, {}, [])).toBe('docker');
    expect(chooseBuildKind(['./Dockerfile'], {}, [])).toBe('docker');
  });

  it('uses buildpacks when any buildpack config is present, even beside a Dockerfile', () => {
    expect(chooseBuildKind(docker, {}, ['heroku/nodejs'])).toBe('buildpacks');
    expect(
      chooseBuildKind(docker, { BUILDPACK_URL: 'https://github.com/heroku/heroku-buildpack-nodejs' }, []),
    ).toBe('buildpacks');
    expect(chooseBuildKind([...docker, '.buildpacks'], {}, [])).toBe('buildpacks');
  });

  it('uses buildpacks without a root Dockerfile', () => {
    expect(chooseBuildKind(['package.json'], {}, [])).toBe('buildpacks');
    expect(chooseBuildKind(['docker/Dockerfile', 'Dockerfile.dev', 'dockerfile'], {}, [])).toBe('buildpacks');
    expect(chooseBuildKind([], {}, [])).toBe('buildpacks');
  });

  it('ignores blank config and honours the explicit "dockerfile" list', () => {
    expect(chooseBuildKind(docker, { BUILDPACK_URL: '  ' }, ['', ' '])).toBe('docker');
    expect(chooseBuildKind([...docker, '.buildpacks'], {}, ['dockerfile'])).toBe('docker');
    expect(chooseBuildKind(docker, {}, ['dockerfile', 'heroku/nodejs'])).toBe('buildpacks');
  });
});
