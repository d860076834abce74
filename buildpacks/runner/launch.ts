export interface LaunchOptions {
  /** the release's environment (config vars over buildpack defaults, see releaseEnv) */
  env?: Record<string, string>;
  port?: number;
}

export interface LaunchCommand {
  file: string;
  args: string[];
  cwd: string;
  /** `env` of the options plus HOME (the slug dir) and PORT */
  env: Record<string, string>;
}

/**
 * Heroku's process start: cwd and HOME the app dir, `.profile.d/*.sh` sourced in order, then
 * `.profile`, then the command through `bash -c`. The script sets HOME and cwd itself, so
 * `file` and `args` alone are enough for a caller that builds its own environment.
 */
export function launchCommand(slugDir: string, command: string, opts: LaunchOptions = {}): LaunchCommand {
  const script = [
    'export HOME="$1"',
    'cd "$1" || exit 1',
    'for f in .profile.d/*.sh; do if [ -r "$f" ]; then . "$f"; fi; done',
    'if [ -r .profile ]; then . ./.profile; fi',
    'exec bash -c "$2"',
  ].join('\n');
  const env: Record<string, string> = { ...(opts.env ?? {}), HOME: slugDir };
  if (opts.port !== undefined) env.PORT = String(opts.port);
  return { file: 'bash', args: ['-c', script, 'wharf-launch', slugDir, command], cwd: slugDir, env };
}
