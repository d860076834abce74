/**
 * Stands in for `node:process` in the Lambda bundles (an esbuild alias, see bundling.ts).
 * An ES import of a builtin makes Node read every export of the module once, and reading
 * `process.report` and its neighbours loads their internal modules: ~14 M instructions at
 * every cold start for the `env` and `versions` the SDK's user agent reads. The values are
 * the global `process`'s own.
 */
export const env = process.env;
export const versions = process.versions;
export default process;
