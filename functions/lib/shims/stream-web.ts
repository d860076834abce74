/**
 * Stands in for `node:stream/web` in the Lambda bundles (an esbuild alias, see
 * bundling.ts). Only middy imports it, for an `instanceof ReadableStream` test on its
 * streamed-response path, which Wharf's handlers never take; the real module (and the web
 * streams it loads, ~9 ms of every cold start here) is loaded only if that test runs.
 */
const real = () => process.getBuiltinModule('node:stream/web');

/** Only `value instanceof ReadableStream` is asked of it. */
export const ReadableStream = {
  [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof real().ReadableStream;
  },
};
