/**
 * A port whose adapter (and its SDK client) loads on first use. A Lambda's cold start
 * pays only for the clients its handler touches: the webhook never loads ECS or S3.
 * Only for adapters whose methods are async; `sync` supplies the few sync members.
 */
export function lazy<T extends object>(load: () => Promise<T>, sync: Partial<T> = {}): T {
  let loading: Promise<T> | null = null;
  return new Proxy({} as T, {
    get(_target, prop) {
      if (prop in sync) return sync[prop as keyof T];
      // Not a thenable: `await port` must not try to call a lazy `then`.
      if (prop === 'then' || typeof prop === 'symbol') return undefined;
      return async (...args: unknown[]) => {
        loading ??= load();
        const target = await loading;
        const member = target[prop as keyof T];
        if (typeof member !== 'function') return member;
        return (member as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** One load shared by every caller: a port loaded through lazy() and read directly elsewhere makes one client. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | null = null;
  return () => {
    loading ??= load();
    return loading;
  };
}
