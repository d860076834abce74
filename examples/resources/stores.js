// One small key-value store per kind of Wharf resource, each built only from the env
// vars that `wharf resource add` puts in the app's release. A store whose vars are
// absent is null: the app runs with whatever is attached.
//
// Names: a resource's vars are unprefixed unless another resource of the app set one of
// them first; then they carry the resource's name. postgres and mysql both set
// DATABASE_URL, so the second of them gets e.g. MYSQL_DATABASE_URL (`wharf resource add
// mysql`) and a postgis next to a postgres gets POSTGIS_DATABASE_URL.

const env = process.env;

/** The first of `names` that is set and starts with `scheme`. */
function urlFrom(names, scheme) {
  for (const name of names) {
    const value = env[name];
    if (value?.startsWith(scheme)) return value;
  }
  return undefined;
}

// On AWS the PostgreSQL URL ends in ?sslmode=require; node-postgres then verifies the
// server against the CA bundle named by NODE_EXTRA_CA_CERTS (the RDS bundle).
const postgresUrl = urlFrom(['DATABASE_URL', 'POSTGRES_DATABASE_URL'], 'postgres');
const postgisUrl = urlFrom(['POSTGIS_DATABASE_URL', 'DATABASE_URL'], 'postgres');
const mysqlUrl = urlFrom(['DATABASE_URL', 'MYSQL_DATABASE_URL'], 'mysql');

/** A relational key-value table, created on first use. */
function postgresStore(url) {
  const { Pool } = require('pg');
  const pool = new Pool({ connectionString: url, max: 4 });
  // an idle connection that the server closes emits 'error'; the pool replaces it
  pool.on('error', (error) => console.error(`postgres: ${error.message}`));
  let ready;
  const table = () => {
    ready ??= pool
      .query('CREATE TABLE IF NOT EXISTS notes (key text PRIMARY KEY, value text NOT NULL)')
      .catch((error) => {
        ready = undefined;
        throw error;
      });
    return ready;
  };
  return {
    pool,
    async put(key, value) {
      await table();
      await pool.query(
        'INSERT INTO notes (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value',
        [key, value],
      );
    },
    async get(key) {
      await table();
      const { rows } = await pool.query('SELECT value FROM notes WHERE key = $1', [key]);
      return rows[0]?.value;
    },
  };
}

function mysqlStore(url) {
  const mysql = require('mysql2/promise');
  const pool = mysql.createPool({ uri: url, connectionLimit: 4 });
  let ready;
  const table = () => {
    ready ??= pool
      .query('CREATE TABLE IF NOT EXISTS notes (`key` VARCHAR(255) PRIMARY KEY, value TEXT NOT NULL)')
      .catch((error) => {
        ready = undefined;
        throw error;
      });
    return ready;
  };
  return {
    async put(key, value) {
      await table();
      await pool.query('REPLACE INTO notes (`key`, value) VALUES (?, ?)', [key, value]);
    },
    async get(key) {
      await table();
      const [rows] = await pool.query('SELECT value FROM notes WHERE `key` = ?', [key]);
      return rows[0]?.value;
    },
  };
}

function redisStore(url) {
  const { createClient } = require('redis');
  const client = createClient({ url });
  // the client reconnects by itself; without a listener an 'error' event would end the process
  client.on('error', (error) => console.error(`redis: ${error.message}`));
  let connected;
  const connect = () => {
    connected ??= client.connect().catch((error) => {
      connected = undefined;
      throw error;
    });
    return connected;
  };
  return {
    async put(key, value) {
      await connect();
      await client.set(`notes:${key}`, value);
    },
    async get(key) {
      await connect();
      return (await client.get(`notes:${key}`)) ?? undefined;
    },
  };
}

// The SDK reads AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION and the credentials from the env,
// so the same code reaches the local dynalite and DynamoDB on AWS. The platform creates
// the table with the key schema pk (hash) + sk (range), both strings.
function documentStore(table) {
  const { DynamoDBClient, GetItemCommand, PutItemCommand } = require('@aws-sdk/client-dynamodb');
  const client = new DynamoDBClient({});
  return {
    async put(key, value) {
      await client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: `note#${key}` }, sk: { S: 'value' }, value: { S: value } },
        }),
      );
    },
    async get(key) {
      const { Item } = await client.send(
        new GetItemCommand({ TableName: table, Key: { pk: { S: `note#${key}` }, sk: { S: 'value' } } }),
      );
      return Item?.value?.S;
    },
  };
}

// AWS_ENDPOINT_URL_S3 likewise; the platform creates the bucket.
function blobStore(bucket) {
  const { GetObjectCommand, PutObjectCommand, S3Client } = require('@aws-sdk/client-s3');
  const client = new S3Client({});
  return {
    async put(key, value) {
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: `notes/${key}`, Body: value, ContentType: 'text/plain' }),
      );
    },
    async get(key) {
      try {
        const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `notes/${key}` }));
        return await out.Body.transformToString();
      } catch (error) {
        if (error.name === 'NoSuchKey') return undefined;
        throw error;
      }
    },
  };
}

/** Metres between two WGS 84 points (longitude, latitude), on the spheroid. */
function spatial(url) {
  const store = postgresStore(url);
  return {
    async distance(from, to) {
      const { rows } = await store.pool.query(
        `SELECT ST_Distance(
           ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography,
           ST_SetSRID(ST_MakePoint($3, $4), 4326)::geography) AS metres`,
        [from[0], from[1], to[0], to[1]],
      );
      return Number(rows[0].metres);
    },
  };
}

module.exports = {
  pg: postgresUrl ? postgresStore(postgresUrl) : null,
  mysql: mysqlUrl ? mysqlStore(mysqlUrl) : null,
  redis: env.REDIS_URL ? redisStore(env.REDIS_URL) : null,
  document: env.DYNAMODB_TABLE ? documentStore(env.DYNAMODB_TABLE) : null,
  blob: env.S3_BUCKET ? blobStore(env.S3_BUCKET) : null,
  postgis: postgisUrl ? spatial(postgisUrl) : null,
};
