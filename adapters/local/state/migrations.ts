/** Schema migrations, applied in order; `PRAGMA user_version` records how far a database is. */
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE apps (name TEXT PRIMARY KEY, doc TEXT NOT NULL);
   CREATE TABLE releases (app TEXT NOT NULL, version INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (app, version));
   CREATE TABLE builds (id TEXT PRIMARY KEY, app TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
   CREATE INDEX builds_app ON builds (app, created_at);
   CREATE TABLE artifacts (id TEXT PRIMARY KEY, app TEXT NOT NULL, doc TEXT NOT NULL);
   CREATE TABLE formations (app TEXT PRIMARY KEY, doc TEXT NOT NULL);
   CREATE TABLE deployments (id TEXT PRIMARY KEY, app TEXT NOT NULL, created_at TEXT NOT NULL, doc TEXT NOT NULL);
   CREATE INDEX deployments_app ON deployments (app, created_at);
   CREATE TABLE current_versions (app TEXT PRIMARY KEY, version INTEGER NOT NULL);
   CREATE TABLE leases (key TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL);
   CREATE TABLE routes (id TEXT PRIMARY KEY, app TEXT NOT NULL, domain TEXT NOT NULL, path TEXT NOT NULL, doc TEXT NOT NULL, UNIQUE (domain, path));
   CREATE TABLE resources (app TEXT NOT NULL, name TEXT NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (app, name));
   CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, app TEXT, type TEXT NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL);
   CREATE INDEX events_app ON events (app, seq);
   CREATE TABLE deliveries (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL);`,
];
