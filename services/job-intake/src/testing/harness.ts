import { randomBytes } from 'node:crypto';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { Pool } from 'pg';
import { accessDecider, accessStreamId, catalogDecider, catalogStreamId, type CatalogCommand, type Role } from '@tsbit/domain';
import { handleCommand, PostgresEventLog } from '@tsbit/event-log';
import { applyEvents, createReadModels, migrateReadModels } from '@tsbit/read-models';
import { createLogger, mintToken } from '@tsbit/service-kit';
import { createJobIntake } from '../app';
import type { RepositoryHook } from '../routes/hooks/config';

export const DATABASE_URL = process.env.TSBIT_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const PROJECTION_BATCH = 10_000;

export interface HarnessOptions {
  hooks?: RepositoryHook[];
  readNeedsToken?: boolean;
  /** Seed the farm's usual catalogue (amd64 master, arm64, i386; debian bookworm; deb). Default true. */
  catalogue?: boolean;
}

export interface Harness {
  app: FastifyInstance;
  log: PostgresEventLog;
  pool: Pool;
  schema: string;
  tokens: Record<Role, string>;
  /** Authorization header of a token with that role (its name is `<role>-user`). */
  as(role: Role): { authorization: string };
  /** `app.inject`, then the read models are brought up to the log, as the projection service does. */
  call(options: InjectOptions): Promise<LightMyRequestResponse>;
  /** Brings the read models up to the log. */
  project(): Promise<void>;
  close(): Promise<void>;
}

/** A valid JSON submission, changed by `change`. */
export const jobBody = (change: Record<string, unknown> = {}): Record<string, unknown> => ({
  package: 'hello',
  version: '2.10-3',
  suite: 'bookworm',
  arch: 'amd64',
  format: 'deb',
  source: { method: 'git', url: 'https://salsa.debian.org/debian/hello.git', ref: 'debian/2.10-3' },
  ...change,
});

/** A form-encoded body and its content type, as HTML forms and pyBit's clients send. */
export const form = (fields: Record<string, string | string[]>) => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const item of Array.isArray(value) ? value : [value]) params.append(name, item);
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: params.toString() };
};

const at = () => new Date().toISOString();
const CATALOGUE: CatalogCommand[] = [
  ...['amd64', 'arm64', 'i386'].map((name): CatalogCommand => ({ type: 'AddCatalogEntry', kind: 'arch', name, description: '', at: at(), by: 'test' })),
  { type: 'AddCatalogEntry', kind: 'dist', name: 'debian', description: 'Debian', at: at(), by: 'test' },
  { type: 'AddCatalogEntry', kind: 'format', name: 'deb', description: '', at: at(), by: 'test' },
  {
    type: 'DefineSuite',
    suite: { name: 'bookworm', dist: 'debian', arches: [{ arch: 'amd64', masterWeight: 10 }, { arch: 'arm64', masterWeight: 5 }, { arch: 'i386', masterWeight: 1 }], formats: ['deb'], envs: [], keyrings: [], skipSignatureCheck: false, skipLintian: false },
    at: at(),
    by: 'test',
  },
];

/**
 * The API in-process against real PostgreSQL: its own schema, a real event log, the real read
 * models fed from the log by the projection's own `applyEvents`, and a token per role.
 */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const schema = `ji_${randomBytes(5).toString('hex')}`;
  const pool = new Pool({ connectionString: DATABASE_URL, max: 10 });
  const log = await PostgresEventLog.create({ connectionString: DATABASE_URL, schema, pool });
  await migrateReadModels(pool, schema);
  let projected = 0n;
  const project = async () => {
    for (;;) {
      const events = await log.readAll(projected, PROJECTION_BATCH);
      if (events.length === 0) return;
      const client = await pool.connect();
      await applyEvents(client, schema, 'read-models', events).finally(() => client.release());
      projected = events[events.length - 1]!.position;
    }
  };

  const tokens = { admin: '', submitter: '', builder: '' } as Record<Role, string>;
  for (const role of Object.keys(tokens) as Role[]) {
    const minted = mintToken();
    await handleCommand({ log, stream: accessStreamId, decider: accessDecider, command: { type: 'IssueToken', tokenId: minted.tokenId, name: `${role}-user`, role, secretSha256: minted.secretSha256, by: 'test', at: at() } });
    tokens[role] = minted.token;
  }
  if (options.catalogue ?? true) {
    for (const command of CATALOGUE) await handleCommand({ log, stream: catalogStreamId, decider: catalogDecider, command });
  }
  await project();

  const app = await createJobIntake({
    log,
    readModels: createReadModels(pool, schema),
    pool,
    logger: createLogger('job-intake-test', 'silent'),
    clock: () => new Date(),
    readNeedsToken: options.readNeedsToken ?? false,
    hooks: options.hooks ?? [],
  });
  return {
    app,
    log,
    pool,
    schema,
    tokens,
    as: (role) => ({ authorization: `Bearer ${tokens[role]}` }),
    async call(request) {
      const response = await app.inject(request);
      await project();
      return response;
    },
    project,
    async close() {
      await app.close();
      await log.close();
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await pool.end();
    },
  };
}
