// Everything bin/compile needs to know from node, npm and the app, in one node start (each
// `node`/`npm --version` spawn costs 0.1-1 s on a loaded build machine):
//   node inspect.cjs BUILD_DIR [NPM_PATH]   prints shell assignments (see `vars` below)
//   node inspect.cjs --has-start BUILD_DIR  prints 1 when package.json has a start script
// Exits 2 with a message when package.json cannot be read.
const fs = require('node:fs');
const path = require('node:path');
const { satisfies } = require('./engines.cjs');

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));
const quote = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;
const nonEmpty = (v) =>
  Array.isArray(v)
    ? v.length > 0
    : v != null && typeof v === 'object'
      ? Object.keys(v).length > 0
      : Boolean(v);

const [mode, ...args] = process.argv.slice(2);
const buildDir = mode === '--has-start' ? args[0] : mode;
let pkg;
try {
  pkg = readJson(path.join(buildDir, 'package.json'));
  if (pkg === null || typeof pkg !== 'object' || Array.isArray(pkg)) throw new Error('not an object');
} catch (e) {
  console.error(`package.json is not valid JSON: ${e.message}`);
  process.exit(2);
}
const scripts = Object.fromEntries(
  Object.entries(pkg.scripts ?? {}).filter(([, v]) => typeof v === 'string' && v !== ''),
);
if (mode === '--has-start') {
  process.stdout.write(scripts.start ? '1' : '');
  process.exit(0);
}
const str = (v) => (typeof v === 'string' ? v : '');

/** The npm package dir of an npm command (a symlink to bin/npm-cli.js, usually). */
function npmPackageDir(npmPath) {
  const candidates = [];
  if (npmPath) {
    try {
      let dir = path.dirname(fs.realpathSync(npmPath));
      for (let i = 0; i < 4; i++, dir = path.dirname(dir)) candidates.push(dir);
    } catch {
      // a dangling npm symlink: fall back to the node install's own npm
    }
  }
  candidates.push(path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm'));
  for (const dir of candidates) {
    try {
      const p = readJson(path.join(dir, 'package.json'));
      if (p.name === 'npm' && typeof p.version === 'string')
        return { dir: path.resolve(dir), version: p.version };
    } catch {
      // not npm's package dir
    }
  }
  return { dir: '', version: '' };
}

// Root lifecycle scripts npm ci runs even when there is nothing to install.
const INSTALL_SCRIPTS = [
  'preinstall',
  'install',
  'postinstall',
  'prepublish',
  'preprepare',
  'prepare',
  'postprepare',
  'dependencies',
];
const DEP_FIELDS = [
  'dependencies',
  'devDependencies',
  'optionalDependencies',
  'peerDependencies',
  'bundleDependencies',
  'bundledDependencies',
  'workspaces',
];

/**
 * True when `npm ci` would do nothing but validate: no dependencies of any kind in package.json
 * and in the lockfile, no install scripts or binding.gyp (npm runs those even then), and no
 * node_modules (npm ci would delete it).
 */
function npmNothingToInstall() {
  if (DEP_FIELDS.some((f) => nonEmpty(pkg[f]))) return false;
  if (INSTALL_SCRIPTS.some((s) => scripts[s])) return false;
  if (['binding.gyp', 'node_modules'].some((f) => fs.existsSync(path.join(buildDir, f)))) return false;
  const lockName = ['npm-shrinkwrap.json', 'package-lock.json'].find((f) =>
    fs.existsSync(path.join(buildDir, f)),
  );
  if (!lockName) return false;
  let lock;
  try {
    lock = readJson(path.join(buildDir, lockName));
  } catch {
    return false; // npm ci reports a broken lockfile better than we would
  }
  if (nonEmpty(lock.dependencies)) return false;
  const packages = lock.packages ?? {};
  if (Object.keys(packages).some((k) => k !== '')) return false;
  const root = packages[''] ?? {};
  return !DEP_FIELDS.some((f) => nonEmpty(root[f]));
}

const wanted = str(pkg.engines?.node);
let enginesError = '';
if (wanted) {
  try {
    if (!satisfies(wanted, process.version)) enginesError = 'mismatch';
  } catch (e) {
    enginesError = `cannot read the range: ${e.message}`;
  }
}
const execPath = fs.realpathSync(process.execPath);
const npm = npmPackageDir(args[0]);
const vars = {
  node_version: process.version,
  node_exec: execPath,
  node_bytes: fs.statSync(execPath).size,
  npm_version: npm.version,
  npm_dir: npm.dir,
  pkg_engines_node: wanted,
  engines_error: enginesError,
  pkg_package_manager: str(pkg.packageManager),
  pkg_scripts: ` ${Object.keys(scripts).join(' ')} `,
  pkg_has_dev_deps: nonEmpty(pkg.devDependencies) ? '1' : '',
  pkg_install_scripts: INSTALL_SCRIPTS.some((n) => scripts[n]) ? '1' : '',
  npm_nothing_to_install: npmNothingToInstall() ? '1' : '',
};
process.stdout.write(
  `${Object.entries(vars)
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join('\n')}\n`,
);
