/**
 * Finding server binaries and the unprivileged user to run them as. PostgreSQL refuses
 * to run as root and MariaDB needs --user=root to do so, and tests run as root in CI:
 * when the platform is root, those servers run as a system user (postgres, mysql,
 * else nobody) through setpriv, keeping CAP_DAC_READ_SEARCH so that they can reach a
 * data dir under a 0700 parent such as /root or a mkdtemp dir.
 */
import { accessSync, constants, readdirSync, readFileSync } from 'node:fs';
import { chown, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { MissingServerBinaryError } from './errors.ts';

export function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first `name` on PATH (plus the sbin dirs, which root's PATH may lack for mariadbd). */
export function whichBinary(name: string): string | null {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir && isExecutable(join(dir, name))) return join(dir, name);
  }
  return null;
}

export function requireBinary(name: string, aptPackages: readonly string[]): string {
  const found = whichBinary(name);
  if (!found) throw new MissingServerBinaryError(name, aptPackages);
  return found;
}

export interface PostgresInstall {
  readonly version: string;
  readonly bin: string;
}

/** Debian's PostgreSQL versions, newest first; with `postgis`, only those with PostGIS. */
export function findPostgres(options: { postgis: boolean }): PostgresInstall {
  let versions: string[] = [];
  try {
    versions = readdirSync('/usr/lib/postgresql')
      .filter((v) => isExecutable(`/usr/lib/postgresql/${v}/bin/postgres`))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    versions = [];
  }
  if (versions.length === 0)
    throw new MissingServerBinaryError('postgres (PostgreSQL server)', ['postgresql']);
  if (!options.postgis) return { version: versions[0]!, bin: `/usr/lib/postgresql/${versions[0]}/bin` };
  const withPostgis = versions.find((v) => {
    try {
      accessSync(`/usr/share/postgresql/${v}/extension/postgis.control`);
      return true;
    } catch {
      return false;
    }
  });
  if (!withPostgis) {
    throw new MissingServerBinaryError(`the PostGIS extension for PostgreSQL ${versions[0]}`, [
      `postgresql-${versions[0]}-postgis-3`,
    ]);
  }
  return { version: withPostgis, bin: `/usr/lib/postgresql/${withPostgis}/bin` };
}

export interface ServiceUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

function lookupUser(name: string): ServiceUser | null {
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [user, , uid, gid] = line.split(':');
      if (user === name && uid && gid) return { name, uid: Number(uid), gid: Number(gid) };
    }
  } catch {
    return null;
  }
  return null;
}

/** The user a server runs as: null (the platform's own) unless the platform is root. */
export function serviceUser(preferred: string): ServiceUser | null {
  if (process.getuid?.() !== 0) return null;
  const user = lookupUser(preferred) ?? lookupUser('nobody');
  if (!user)
    throw new Error(
      `no unprivileged user found to run ${preferred} as: create one (useradd -r ${preferred})`,
    );
  return user;
}

/** The command line that runs `file args` as `user` (or as is when user is null). */
export function asUser(user: ServiceUser | null, file: string, args: readonly string[]): [string, string[]] {
  if (!user) return [file, [...args]];
  return [
    requireBinary('setpriv', ['util-linux']),
    [
      `--reuid=${user.uid}`,
      `--regid=${user.gid}`,
      '--clear-groups',
      '--inh-caps=+dac_read_search',
      '--ambient-caps=+dac_read_search',
      '--',
      file,
      ...args,
    ],
  ];
}

/** Gives a directory tree to the service user, so that the server can write its data. */
export async function chownTree(path: string, user: ServiceUser | null): Promise<void> {
  if (!user) return;
  await chown(path, user.uid, user.gid);
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) await chownTree(child, user);
    else await chown(child, user.uid, user.gid);
  }
}
