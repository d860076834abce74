/**
 * Shorthands (`ns/name`) that Wharf resolves itself. Built-ins run offline with the build
 * machine's runtime; the others are the buildpacks' real git repositories, written down here
 * rather than guessed from the name (the registry's name and the repository's rarely match).
 */
export const BUILTIN_ALIASES: Readonly<Record<string, string>> = {
  'heroku/nodejs': 'nodejs',
  'wharf/nodejs': 'nodejs',
  'heroku/procfile': 'procfile',
  'wharf/procfile': 'procfile',
  'heroku/static': 'static',
  'wharf/static': 'static',
};

export const GIT_ALIASES: Readonly<Record<string, string>> = {
  'jincod/dotnetcore': 'https://github.com/jincod/dotnetcore-buildpack.git',
  'heroku/python': 'https://github.com/heroku/heroku-buildpack-python.git',
  'heroku/ruby': 'https://github.com/heroku/heroku-buildpack-ruby.git',
  'heroku/go': 'https://github.com/heroku/heroku-buildpack-go.git',
  'heroku/php': 'https://github.com/heroku/heroku-buildpack-php.git',
  'heroku/java': 'https://github.com/heroku/heroku-buildpack-java.git',
  'heroku/gradle': 'https://github.com/heroku/heroku-buildpack-gradle.git',
  'heroku/scala': 'https://github.com/heroku/heroku-buildpack-scala.git',
  'heroku/clojure': 'https://github.com/heroku/heroku-buildpack-clojure.git',
};

/** Heroku's buildpack registry serves every published buildpack as a tarball at this address. */
export function registryTarballUrl(ns: string, name: string): string {
  return `https://buildpack-registry.s3.amazonaws.com/buildpacks/${ns}/${name}.tgz`;
}

/** Built-in buildpacks, in auto-detect order. */
export const BUILTIN_ORDER = ['nodejs', 'static', 'procfile'] as const;
