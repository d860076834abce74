export interface RunBuildOptions {
  app: string;
  /** source tree, already extracted; the runner copies it and never modifies it */
  sourceDir: string;
  sourceVersion: string;
  requestId: string;
  /** the app's config vars: written to ENV_DIR (never exported into compile); BUILDPACK_URL is read here */
  env: Record<string, string>;
  /** the app's explicit buildpack list; wins over BUILDPACK_URL, `.buildpacks` and auto-detect */
  buildpacks?: string[];
  /** per-app build cache (CACHE_DIR), kept between builds */
  cacheDir: string;
  /** fetched buildpacks, cached by (url, resolved commit); may be shared by apps and builds */
  buildpackCacheDir: string;
  /** scratch space for this build; must not be shared with a concurrent build */
  workDir: string;
  /** where the slug (.tgz) is written */
  slugPath: string;
  /** build output, one line at a time, as it happens */
  output: (line: string) => void;
  /** @default 'wharf-24' */
  stack?: string;
  /** a source tree larger than this fails the build @default - no limit */
  maxSourceBytes?: number;
  signal?: AbortSignal;
  /**
   * How detect/compile/release see the build dir at /app.
   * @default 'auto' - bubblewrap, then unshare, then /app itself when it is free ('app-dir',
   * e.g. in a CodeBuild container), then none (build elsewhere, with a warning)
   */
  isolation?: IsolationMode;
  /** PATH for buildpack processes @default - the PATH of this process */
  path?: string;
  /** allow git `file://` submodules (git >= 2.38 refuses them); for tests @default - env WHARF_GIT_ALLOW_FILE_PROTOCOL=1 */
  allowFileProtocol?: boolean;
}

export type IsolationMode = 'auto' | 'bwrap' | 'unshare' | 'app-dir' | 'none';

export interface BuildpackInfo {
  url: string;
  name: string;
  commit?: string;
}

export interface RunBuildResult {
  slugPath: string;
  slugSha256: string;
  slugBytes: number;
  processTypes: Record<string, string>;
  /** `config_vars` of the buildpacks' release output: defaults, a user's var of the same name wins */
  configDefaults: Record<string, string>;
  addons: string[];
  buildpacks: BuildpackInfo[];
  /** milliseconds per phase (fetch, detect, compile, release, slug, total) */
  timings: Record<string, number>;
  /** the app's cache dir held content from an earlier build when this build started */
  cacheHit: boolean;
  /** how the build dir was put at /app */
  isolation: Exclude<IsolationMode, 'auto'>;
}
