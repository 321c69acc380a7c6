import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Pool } from 'pg';
import { accessDecider, accessStreamId, deserializeEvent, type Role } from '@tsbit/domain';
import { handleCommand, PostgresEventLog } from '@tsbit/event-log';
import { migrateReadModels } from '@tsbit/read-models';
import { mintToken, parseToken } from '@tsbit/service-kit';

interface BootstrapOptions {
  databaseUrl: string;
  schema: string;
  stateDir: string;
  persistTokens: boolean;
}

/**
 * Prepares an empty or existing farm: the log's and read models' tables, and two tokens: an
 * admin token for people and scripts (kept in `<stateDir>/token`, where the CLI finds it) and the
 * local builder's token. A token kept from an earlier start is reused while the log still knows it.
 */
export async function bootstrapFarm(options: BootstrapOptions): Promise<{ adminToken: string; builderToken: string }> {
  const pool = new Pool({ connectionString: options.databaseUrl, max: 2 });
  const log = await PostgresEventLog.create({ connectionString: options.databaseUrl, schema: options.schema });
  try {
    await migrateReadModels(pool, options.schema);
    const live = await liveTokenIds(log);
    const ensure = async (file: string, name: string, role: Role): Promise<string> => {
      const kept = options.persistTokens ? await readFile(path.join(options.stateDir, file), 'utf8').catch(() => '') : '';
      const parsed = parseToken(kept.trim());
      if (parsed && live.has(parsed.tokenId)) return kept.trim();
      const minted = mintToken();
      await handleCommand({
        log,
        stream: accessStreamId,
        decider: accessDecider,
        command: {
          type: 'IssueToken',
          tokenId: minted.tokenId,
          name: `${name}-${minted.tokenId}`,
          role,
          secretSha256: minted.secretSha256,
          by: 'farm-bootstrap',
          at: new Date().toISOString(),
        },
      });
      if (options.persistTokens) await writeFile(path.join(options.stateDir, file), `${minted.token}\n`, { mode: 0o600 });
      return minted.token;
    };
    return { adminToken: await ensure('token', 'local-admin', 'admin'), builderToken: await ensure('builder-token', 'local-builder', 'builder') };
  } finally {
    await log.close();
    await pool.end();
  }
}

async function liveTokenIds(log: PostgresEventLog): Promise<Set<string>> {
  const live = new Set<string>();
  for (const recorded of await log.readStream(accessStreamId)) {
    const event = deserializeEvent(recorded.type, recorded.data);
    if (event.type === 'TokenIssued') live.add(event.data.tokenId);
    if (event.type === 'TokenRevoked') live.delete(event.data.tokenId);
  }
  return live;
}

/** What a new farm can build out of the box: Debian bookworm on this machine's kinds of builders. */
const DEFAULT_CATALOGUE = {
  arches: ['amd64', 'arm64', 'i386'],
  dists: ['debian'],
  formats: ['deb', 'rpm'],
  envs: ['default'],
  suites: [
    {
      name: 'bookworm',
      dist: 'debian',
      arches: [
        { arch: 'amd64', masterWeight: 10 },
        { arch: 'arm64', masterWeight: 5 },
        { arch: 'i386', masterWeight: 1 },
      ],
      formats: ['deb', 'rpm'],
      envs: ['default'],
    },
  ],
};

/** Seeds the catalogue through the public API when it is empty, as an admin would. */
export async function seedCatalogue(apiUrl: string, adminToken: string): Promise<void> {
  const existing = (await (await fetch(`${apiUrl}/suite`)).json()) as unknown[];
  if (Array.isArray(existing) && existing.length > 0) return;
  const post = async (resource: string, body: object): Promise<void> => {
    const response = await fetch(`${apiUrl}/${resource}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok && response.status !== 409) throw new Error(`seeding ${resource}: ${response.status} ${await response.text()}`);
  };
  for (const name of DEFAULT_CATALOGUE.arches) await post('arch', { name });
  for (const name of DEFAULT_CATALOGUE.dists) await post('dist', { name });
  for (const name of DEFAULT_CATALOGUE.formats) await post('format', { name });
  for (const name of DEFAULT_CATALOGUE.envs) await post('env', { name });
  for (const suite of DEFAULT_CATALOGUE.suites) await post('suite', suite);
}
