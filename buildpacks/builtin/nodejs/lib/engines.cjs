// Does a version satisfy an npm semver range? `satisfies(range, version)`, required by
// inspect.cjs (one node start per build). A small subset of node-semver (enough for
// engines.node): ||, hyphen ranges, comparators, ^, ~, x-ranges and partial versions;
// pre-release tags are ignored. Throws when the range or version cannot be read.

const parse = (v) => {
  const m = /^[v=\s]*(\d+|[xX*])?(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?/.exec(v.trim());
  if (!m) throw new Error(`cannot read version "${v}"`);
  return [m[1], m[2], m[3]].map((p) => (p === undefined || /[xX*]/.test(p) ? undefined : Number(p)));
};
const cmp = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
const full = (p) => p.map((n) => n ?? 0);

// [lower, lowerInclusive, upper, upperInclusive] for one comparator token
function bounds(token) {
  const m = /^(<=|>=|<|>|=|\^|~>?)?\s*(.*)$/.exec(token);
  const op = m[1] ?? '';
  const p = parse(m[2]);
  const [maj, min, pat] = p;
  if (maj === undefined) return [[0, 0, 0], true, null, false];
  const lo = full(p);
  const bump = (i) => {
    const r = [...lo];
    r[i] += 1;
    for (let j = i + 1; j < 3; j++) r[j] = 0;
    return r;
  };
  const xUpper = min === undefined ? bump(0) : pat === undefined ? bump(1) : null;
  switch (op) {
    case '>=':
      return [lo, true, null, false];
    case '>':
      return xUpper ? [xUpper, true, null, false] : [lo, false, null, false];
    case '<':
      return [[0, 0, 0], true, lo, false];
    case '<=':
      return xUpper ? [[0, 0, 0], true, xUpper, false] : [[0, 0, 0], true, lo, true];
    case '^':
      return [
        lo,
        true,
        maj > 0 || min === undefined ? bump(0) : min > 0 || pat === undefined ? bump(1) : bump(2),
        false,
      ];
    case '~':
    case '~>':
      return [lo, true, min === undefined ? bump(0) : bump(1), false];
    default:
      return xUpper ? [lo, true, xUpper, false] : [lo, true, lo, true];
  }
}

function satisfiesSet(v, set) {
  const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(set);
  const tokens = hyphen
    ? [`>=${hyphen[1]}`, `<=${hyphen[2]}`]
    : set
        .replace(/(<=|>=|<|>|=|\^|~>?)\s+/g, '$1')
        .split(/\s+/)
        .filter(Boolean);
  if (tokens.length === 0) return true;
  return tokens.every((t) => {
    const [lo, loInc, hi, hiInc] = bounds(t);
    const a = cmp(v, lo);
    if (a < 0 || (a === 0 && !loInc)) return false;
    if (hi === null) return true;
    const b = cmp(v, hi);
    return b < 0 || (b === 0 && hiInc);
  });
}

function satisfies(range, version) {
  const v = full(parse(version));
  return range.split('||').some((s) => satisfiesSet(v, s.trim()));
}

module.exports = { satisfies };
