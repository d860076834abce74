export * from './env.ts';
export * from './providers.ts';
