/** What the provisioner needs to know about one kind of local server. */
import { connectionUrl, type ResourceEnvValues } from '../../../core/resources/env.ts';
import { LOOPBACK } from './net.ts';
import type { ServerCommand } from './supervisor.ts';

/** Facts fixed at provisioning and kept in the resource dir (0600), reused on every start. */
export interface ServerFacts {
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** database, table or bucket name */
  readonly database: string;
  readonly server: string;
}

export interface ServerContext {
  readonly app: string;
  readonly name: string;
  /** the resource's own dir: dataDir/resources/<app>/<name> */
  readonly dir: string;
  /** fsync off and friends: for tests only */
  readonly fastDurability: boolean;
}

export interface LocalServerKind {
  /** throws MissingServerBinaryError naming the apt command when the server is not installed */
  checkInstalled(): string;
  /** creates the data (initdb...) before the first start */
  init(ctx: ServerContext, facts: ServerFacts): Promise<void>;
  command(ctx: ServerContext, facts: ServerFacts): ServerCommand;
  ready(ctx: ServerContext, facts: ServerFacts): Promise<boolean>;
  /** after the first start: database, extension, table... */
  afterFirstStart(ctx: ServerContext, facts: ServerFacts): Promise<void>;
  envValues(facts: ServerFacts): ResourceEnvValues;
}

/** The env values of a SQL server on loopback: its URL and each part of it. */
export function sqlEnvValues(scheme: 'postgres' | 'mysql', facts: ServerFacts): ResourceEnvValues {
  const parts = {
    host: LOOPBACK,
    port: facts.port,
    user: facts.user,
    password: facts.password,
    database: facts.database,
  };
  return { url: connectionUrl(scheme, parts), ...parts };
}
