import { open } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { notFound } from '@tsbit/service-kit';
import { COMPONENT, SUITE_NAME, type AptRepository } from './apt-repository';
import { APT_PATH, REPOS_PATH, YUM_PATH } from './publisher';
import type { SigningKey } from './signing-key';
import type { YumRepository } from './yum-repository';

const CONTENT_TYPES: Record<string, string> = {
  '.deb': 'application/vnd.debian.binary-package',
  '.udeb': 'application/vnd.debian.binary-package',
  '.rpm': 'application/x-rpm',
  '.gz': 'application/gzip',
  '.xz': 'application/x-xz',
  '.gpg': 'application/pgp-signature',
  '.asc': 'application/pgp-signature',
  '.xml': 'text/xml; charset=utf-8',
  '.dsc': 'text/plain; charset=utf-8',
};
/** Files that never change once published: named by content (by-hash, repodata) or never replaced (pool). */
const IMMUTABLE = /(^|\/)(pool|packages|by-hash)\/|\/repodata\/[0-9a-f]{64}-/;

export interface RepositoryRoutesOptions {
  key: SigningKey;
  apt: AptRepository;
  yum: YumRepository;
  /** The farm's public address, written into the ready-made sources entries. */
  publicUrl: string;
}

/**
 * The repositories over HTTP: the signing key, ready-made apt and dnf entries, and the files.
 * Files are opened before they are described, so a generation pruned meanwhile is still served
 * whole to a client that asked while it was current. Names starting with '.' (the generations
 * and their state) are never served by path.
 */
export function registerRepositoryRoutes(app: FastifyInstance, options: RepositoryRoutesOptions): void {
  const { key, apt, yum } = options;
  // Read at each request: a test learns its listening address only after registering.
  const publicUrl = (): string => options.publicUrl.replace(/\/+$/, '');
  const tags = ['repositories'];

  app.get(`${REPOS_PATH}/key.asc`, { schema: { tags, summary: 'The public key that signs the repositories (armored)' } }, async (_request, reply) =>
    reply.type('application/pgp-keys').header('cache-control', 'no-cache').send(key.publicKeyArmored),
  );
  app.get(`${REPOS_PATH}/key.gpg`, { schema: { tags, summary: 'The public key that signs the repositories (binary keyring)' } }, async (_request, reply) =>
    reply.type('application/pgp-keys').header('cache-control', 'no-cache').send(key.publicKeyBinary),
  );

  app.get(`${APT_PATH}/:entry`, { schema: { tags, summary: 'A ready apt sources entry: <suite>.sources (deb822, key inline) or <suite>.list (one line)' } }, async (request, reply) => {
    const { entry } = request.params as { entry: string };
    const match = /^(.+)\.(sources|list)$/.exec(entry);
    const suite = match?.[1] ?? '';
    if (!match || !SUITE_NAME.test(suite)) throw notFound(`${APT_PATH}/${entry}: ask for <suite>.sources or <suite>.list`);
    if (!(await apt.hasSuite(suite))) throw notFound(`nothing is published for suite ${suite} yet`);
    const text = match[2] === 'sources' ? aptSources(publicUrl(), suite, key) : aptList(publicUrl(), suite);
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(text);
  });

  app.get(`${YUM_PATH}/:entry`, { schema: { tags, summary: 'A ready dnf repository file: <suite>.repo' } }, async (request, reply) => {
    const { entry } = request.params as { entry: string };
    const suite = /^(.+)\.repo$/.exec(entry)?.[1] ?? '';
    if (!SUITE_NAME.test(suite)) throw notFound(`${YUM_PATH}/${entry}: ask for <suite>.repo`);
    if (!(await yum.hasSuite(suite))) throw notFound(`nothing is published for suite ${suite} yet`);
    return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(dnfRepo(publicUrl(), suite));
  });

  app.get(`${APT_PATH}/*`, { schema: { hide: true } }, async (request, reply) => serveFile(apt.root, (request.params as { '*': string })['*'], reply));
  app.get(`${YUM_PATH}/*`, { schema: { hide: true } }, async (request, reply) => serveFile(yum.root, (request.params as { '*': string })['*'], reply));
}

async function serveFile(root: string, relative: string, reply: FastifyReply): Promise<FastifyReply> {
  const segments = relative.split('/');
  if (segments.some((segment) => segment === '' || segment.startsWith('.') || segment.includes('\0'))) throw notFound(`no file ${relative}`);
  const handle = await open(path.join(root, ...segments), 'r').catch(() => undefined);
  if (!handle) throw notFound(`no file ${relative}`);
  const info = await handle.stat();
  if (!info.isFile()) {
    await handle.close();
    throw notFound(`no file ${relative}`);
  }
  const type = CONTENT_TYPES[path.extname(relative)] ?? (/(^|\/)(InRelease|Release|Packages|Sources)$/.test(relative) ? 'text/plain; charset=utf-8' : 'application/octet-stream');
  // Indices change with every publish: never served from a cache without asking.
  void reply
    .type(type)
    .header('content-length', info.size)
    .header('cache-control', IMMUTABLE.test(relative) ? 'public, max-age=31536000, immutable' : 'no-cache');
  return reply.send(handle.createReadStream());
}

export function aptSources(publicUrl: string, suite: string, key: SigningKey): string {
  const inlineKey = key.publicKeyArmored
    .trimEnd()
    .split('\n')
    .map((line) => (line.trim() === '' ? ' .' : ` ${line}`))
    .join('\n');
  return [
    `# tsbit: packages built for ${suite}; save as /etc/apt/sources.list.d/tsbit-${suite}.sources`,
    'Types: deb',
    `URIs: ${publicUrl}${APT_PATH}`,
    `Suites: ${suite}`,
    `Components: ${COMPONENT}`,
    `Signed-By:\n${inlineKey}`,
    '',
  ].join('\n');
}

export function aptList(publicUrl: string, suite: string): string {
  return [
    `# tsbit: packages built for ${suite}; first: curl -fsSL ${publicUrl}${REPOS_PATH}/key.gpg -o /etc/apt/keyrings/tsbit.gpg`,
    `deb [signed-by=/etc/apt/keyrings/tsbit.gpg] ${publicUrl}${APT_PATH} ${suite} ${COMPONENT}`,
    '',
  ].join('\n');
}

export function dnfRepo(publicUrl: string, suite: string): string {
  return [
    `# tsbit: packages built for ${suite}; save as /etc/yum.repos.d/tsbit-${suite}.repo`,
    `[tsbit-${suite}]`,
    `name=tsbit ${suite}`,
    `baseurl=${publicUrl}${YUM_PATH}/${suite}/$basearch/`,
    'enabled=1',
    // The repository metadata is signed; the packages themselves are not (yet).
    'gpgcheck=0',
    'repo_gpgcheck=1',
    `gpgkey=${publicUrl}${REPOS_PATH}/key.asc`,
    '',
  ].join('\n');
}
