// Copies the build's node, npm and (when used) yarn/pnpm into BUILD_DIR/.heroku/node, where
// Heroku's Node.js buildpack keeps them, so the slug runs on a run image without node:
//   node vendor.cjs BUILD_DIR NODE_EXEC NPM_DIR [TOOL_PATH]
// bin/ gets the node binary and one shim per command of each package (npm, npx, yarn, pnpm...)
// that runs the package's script with the node beside it, wherever the slug is unpacked.
// Prints the step line with the size, then one line per package.
const fs = require('node:fs');
const path = require('node:path');

const [buildDir, nodeExec, npmDir, toolPath] = process.argv.slice(2);
const dest = path.join(buildDir, '.heroku', 'node');
const TOOL_PACKAGES = new Set(['yarn', 'pnpm', '@yarnpkg/cli-dist']);

const readJson = (file) => JSON.parse(fs.readFileSync(file, 'utf8'));

function fail(message) {
  console.error(` !     Build failed: ${message}`);
  process.exit(1);
}

/** The package dir above a command (its realpath), whose package.json is named one of `names`. */
function packageDirOf(command, names) {
  let dir = path.dirname(fs.realpathSync(command));
  for (let i = 0; i < 5; i++, dir = path.dirname(dir)) {
    try {
      const p = readJson(path.join(dir, 'package.json'));
      if (names.has(p.name)) return dir;
    } catch {
      // keep walking up
    }
  }
  return null;
}

function bytesOf(p) {
  const st = fs.lstatSync(p);
  if (!st.isDirectory()) return st.size;
  let total = 0;
  for (const e of fs.readdirSync(p)) total += bytesOf(path.join(p, e));
  return total;
}

function binsOf(pkg) {
  if (typeof pkg.bin === 'string') return { [pkg.name.split('/').pop()]: pkg.bin };
  return pkg.bin ?? {};
}

const packages = [];
if (!npmDir || !fs.existsSync(path.join(npmDir, 'package.json'))) {
  fail("cannot find npm's package dir on the build machine to vendor it; install npm next to node");
}
packages.push(npmDir);
if (toolPath) {
  const dir = packageDirOf(toolPath, TOOL_PACKAGES);
  if (!dir) fail(`cannot find the package dir of ${toolPath} to vendor it; install it with npm`);
  packages.push(dir);
}

const mb = (n) => (n / 1024 / 1024).toFixed(0);
const total = fs.statSync(nodeExec).size + packages.reduce((n, d) => n + bytesOf(d), 0);
console.log(`-----> Vendoring node ${process.version} (${mb(total)} MB) into the slug`);

fs.rmSync(dest, { recursive: true, force: true });
fs.mkdirSync(path.join(dest, 'bin'), { recursive: true });
fs.copyFileSync(nodeExec, path.join(dest, 'bin', 'node'));
fs.chmodSync(path.join(dest, 'bin', 'node'), 0o755);
console.log(`       node ${process.version} -> .heroku/node/bin/node`);

for (const dir of packages) {
  const pkg = readJson(path.join(dir, 'package.json'));
  const rel = path.join('lib', 'node_modules', pkg.name);
  fs.cpSync(dir, path.join(dest, rel), { recursive: true, verbatimSymlinks: true });
  const bins = binsOf(pkg);
  for (const [name, script] of Object.entries(bins)) {
    const shim = path.join(dest, 'bin', name);
    fs.writeFileSync(
      shim,
      [
        '#!/bin/sh',
        `# Written by Wharf's Node.js buildpack: ${pkg.name} ${pkg.version} run by the node beside this file.`,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell parameter expansion
        'case $0 in */*) d=${0%/*} ;; *) d=. ;; esac',
        `exec "$d/node" "$d/../${path.posix.join(rel, script)}" "$@"`,
        '',
      ].join('\n'),
      { mode: 0o755 },
    );
  }
  console.log(`       ${pkg.name} ${pkg.version} -> .heroku/node/${rel} (${Object.keys(bins).join(', ')})`);
}
