// Reads package.json for the shell scripts, in one node start:
//   node pkg.js FILE a.b      prints one field (dotted path), or nothing when absent
//   node pkg.js --shell FILE  prints shell assignments: pkg_engines_node, pkg_package_manager,
//                             pkg_scripts (" name1 name2 ", for has_script)
const fs = require('node:fs');

const shell = process.argv[2] === '--shell';
const [file, field] = shell ? [process.argv[3], undefined] : process.argv.slice(2);
let json;
try {
  json = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`package.json is not valid JSON: ${e.message}`);
  process.exit(2);
}
const get = (path) => {
  let v = json;
  for (const key of path.split('.')) v = v == null ? undefined : v[key];
  return v == null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
};
const quote = (s) => `'${s.replaceAll("'", "'\\''")}'`;

if (shell) {
  const scripts = Object.keys(json.scripts ?? {}).filter((k) => json.scripts[k]);
  process.stdout.write(
    [
      `pkg_engines_node=${quote(get('engines.node'))}`,
      `pkg_package_manager=${quote(get('packageManager'))}`,
      `pkg_scripts=${quote(` ${scripts.join(' ')} `)}`,
    ].join('\n'),
  );
} else {
  process.stdout.write(get(field));
}
