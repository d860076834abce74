/**
 * The local Builder: unpacks the pushed source, runs the buildpack runner in this
 * process's child processes, and keeps the slug in the SlugStore.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { BuildError, runBuild } from '../../buildpacks/runner/index.ts';
import type { BuildOutcome, BuildRequest, Builder } from '../../core/ports.ts';
import { extractArchive } from './artifacts/safe-extract.ts';
import type { SlugStore } from './artifacts/slug-store.ts';

export interface LocalBuilderOptions {
  readonly dataDir: string;
  readonly slugs: SlugStore;
  /** PATH for buildpacks (the project's Node first) */
  readonly path?: string;
  readonly maxSourceBytes?: number;
}

export class LocalBuilder implements Builder {
  private readonly options: LocalBuilderOptions;
  constructor(options: LocalBuilderOptions) {
    this.options = options;
  }

  async build(request: BuildRequest, output: (line: string) => void): Promise<BuildOutcome> {
    const { dataDir } = this.options;
    const workDir = join(dataDir, 'builds', request.buildId);
    await rm(workDir, { recursive: true, force: true });
    await mkdir(workDir, { recursive: true });
    try {
      let sourceDir: string;
      if (request.source.kind === 'tar') {
        sourceDir = join(workDir, 'source');
        await extractArchive(request.source.path, sourceDir, {
          maxBytes: this.options.maxSourceBytes ?? 1024 ** 3,
        });
      } else if (request.source.kind === 'dir') {
        sourceDir = request.source.path;
      } else {
        return {
          ok: false,
          error: 'git sources are fetched by the AWS builder; push to the local git server instead',
        };
      }
      const appConfig = readAppConfig(sourceDir);
      const slugPath = join(workDir, 'slug.tgz');
      const result = await runBuild({
        app: request.app,
        sourceDir,
        sourceVersion: request.sourceVersion,
        requestId: request.buildId,
        env: { ...request.env },
        buildpacks: [...request.buildpacks],
        cacheDir: join(dataDir, 'cache', request.app),
        buildpackCacheDir: join(dataDir, 'buildpacks'),
        workDir: join(workDir, 'run'),
        slugPath,
        output,
        ...(this.options.path ? { path: this.options.path } : {}),
        ...(this.options.maxSourceBytes ? { maxSourceBytes: this.options.maxSourceBytes } : {}),
      });
      const uri = await this.options.slugs.put(request.app, request.buildId, result.slugPath);
      return {
        ok: true,
        artifact: {
          kind: 'slug',
          uri,
          digest: `sha256:${result.slugSha256}`,
          processTypes: result.processTypes,
          configDefaults: result.configDefaults,
        },
        buildpacks: result.buildpacks,
        cacheHit: result.cacheHit,
        timings: result.timings,
        ...(appConfig ? { appConfig } : {}),
      };
    } catch (e) {
      if (e instanceof BuildError) return { ok: false, error: e.message };
      return { ok: false, error: e instanceof Error ? e.message : String(e) };
    } finally {
      await rm(workDir, { recursive: true, force: true }).catch(() => {});
    }
  }
}

function readAppConfig(dir: string): { wharfJson?: unknown; appJson?: unknown } | null {
  const out: { wharfJson?: unknown; appJson?: unknown } = {};
  for (const [file, key] of [
    ['wharf.json', 'wharfJson'],
    ['app.json', 'appJson'],
  ] as const) {
    const p = join(dir, file);
    if (!existsSync(p)) continue;
    try {
      out[key] = JSON.parse(readFileSync(p, 'utf8'));
    } catch (e) {
      throw new Error(
        `${file} is not valid JSON: ${e instanceof Error ? e.message : String(e)}; fix it and push again`,
      );
    }
  }
  return Object.keys(out).length ? out : null;
}
