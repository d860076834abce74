/**
 * The secrets the platform keeps per app, by name under the SecretStore (AWS: under the
 * platform's prefix, `wharf/`). One list for the code that reads and writes them, the
 * teardown of an app, and the IAM grants (infra/deploy-settings.ts re-exports it).
 */
export const SECRET_NAMES = {
  /** `webhook/<app>`: the app's webhook signing secret (`PUT /apps/<app>/webhook`). */
  webhook: 'webhook/',
  /** `git-token/<app>`: the token that clones a private repository. */
  gitToken: 'git-token/',
  /** `build-env/<app>`: the app's config vars as base64 JSON, written before each build. */
  buildEnv: 'build-env/',
} as const;

export type AppSecret = keyof typeof SECRET_NAMES;

export function appSecretName(kind: AppSecret, app: string): string {
  return `${SECRET_NAMES[kind]}${app}`;
}

/** Every secret an app can have: deleted with the app. */
export function appSecretNames(app: string): string[] {
  return (Object.keys(SECRET_NAMES) as AppSecret[]).map((kind) => appSecretName(kind, app));
}
