// Prints one field of a package.json (dotted path), or nothing when absent: `node pkg.js FILE a.b`.
const fs = require('node:fs');
const [file, field] = process.argv.slice(2);
let value;
try {
  value = JSON.parse(fs.readFileSync(file, 'utf8'));
} catch (e) {
  console.error(`package.json is not valid JSON: ${e.message}`);
  process.exit(2);
}
for (const key of field.split('.')) value = value == null ? undefined : value[key];
if (value != null) process.stdout.write(typeof value === 'string' ? value : JSON.stringify(value));
