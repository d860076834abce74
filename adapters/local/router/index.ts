export { isValidRequestId } from './headers.ts';
export { LocalRouter, type LocalRouterOptions, RouterNotListeningError } from './local-router.ts';
export { STICKY_COOKIE } from './route-table.ts';
export type { RouterLogger, RouterStats } from './state.ts';
