import path from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { artifactStreamId, deserializeEvent, serializeEvent, type ArtifactKind, type ArtifactStored } from '@tsbit/domain';
import type { EventLog } from '@tsbit/event-log';
import { authenticate, authorize, badRequest, counter, createHttpServer, HttpProblem, notFound, type TokenLookup } from '@tsbit/service-kit';
import { LiveLogStore, LogNotifier, registerLogRoutes } from './logs';
import { registerRepositoryRoutes, type RepositoryRoutesOptions } from './publishing';
import { ContentStore } from './store';
import { checkUploadScope, START_GRACE_MS } from './upload-scope';

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+~-]*$/;
const SHA256 = /^[0-9a-f]{64}$/;
/** As builders name themselves (TSBIT_BUILDER_NAME). */
const BUILDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const KINDS: ArtifactKind[] = ['deb', 'udeb', 'ddeb', 'rpm', 'dsc', 'changes', 'buildinfo', 'log', 'other'];
const CONTENT_TYPES: Record<string, string> = {
  '.deb': 'application/vnd.debian.binary-package',
  '.udeb': 'application/vnd.debian.binary-package',
  '.ddeb': 'application/vnd.debian.binary-package',
  '.rpm': 'application/x-rpm',
  '.log': 'text/plain; charset=utf-8',
  '.dsc': 'text/plain; charset=utf-8',
  '.changes': 'text/plain; charset=utf-8',
  '.buildinfo': 'text/plain; charset=utf-8',
};

/** TSBIT_LOG_LIMIT_BYTES's default, for callers (tests) that do not set it. */
const DEFAULT_LOG_LIMIT_BYTES = 256 * 1024 * 1024;

const uploads = counter('tsbit_artifact_uploads_total', 'Artifact uploads, by result', ['result']);
const bytesStored = counter('tsbit_artifact_bytes_stored_total', 'Bytes of new content stored');

export interface ArtifactServiceDeps {
  log: EventLog;
  storeDir: string;
  tokens: TokenLookup;
  logger: Logger;
  maxUploadBytes: number;
  /** Largest live build log (TSBIT_LOG_LIMIT_BYTES); appends past it are refused with 413. */
  logLimitBytes?: number;
  clock?: () => Date;
  ready?: () => Promise<boolean>;
  /** The signed APT and YUM repositories served under /repos (none: not served). */
  repositories?: RepositoryRoutesOptions;
  /** How long an upload waits for its attempt's BuildStarted to be recorded (upload-scope.ts). */
  uploadStartGraceMs?: number;
}

export function kindOf(name: string): ArtifactKind {
  const extension = path.extname(name).slice(1);
  return (KINDS as string[]).includes(extension) ? (extension as ArtifactKind) : 'other';
}

/**
 * The artifact store: builders upload each file with its sha256; it is verified, stored once by
 * content, and recorded as ArtifactStored on the job's artifact stream. Anyone may download.
 */
export function createArtifactService(deps: ArtifactServiceDeps): FastifyInstance {
  const store = new ContentStore(deps.storeDir);
  const clock = deps.clock ?? (() => new Date());
  const app = createHttpServer({ logger: deps.logger, ready: async () => (await store.writable()) && (deps.ready ? await deps.ready() : true), bodyLimit: deps.maxUploadBytes });
  // Uploads are streamed to disk as they arrive, never buffered whole.
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));

  app.put('/artifacts/jobs/:jobId/attempts/:attempt/:name', async (request: FastifyRequest, reply) => {
    const principal = authorize(await authenticate(request.headers.authorization, deps.tokens), 'report');
    const params = request.params as { jobId: string; attempt: string; name: string };
    const jobId = Number(params.jobId);
    const attempt = Number(params.attempt);
    if (!Number.isInteger(jobId) || jobId <= 0) throw badRequest('jobId: must be a positive integer', 'jobId');
    if (!Number.isInteger(attempt) || attempt <= 0) throw badRequest('attempt: must be a positive integer', 'attempt');
    if (!FILE_NAME.test(params.name) || params.name.length > 255 || params.name.includes('..')) {
      throw badRequest('name: a plain file name of letters, digits and "._+~-", not starting with "." and without "..", at most 255 characters', 'name');
    }
    const expected = String(request.headers['x-tsbit-sha256'] ?? '').toLowerCase();
    if (!SHA256.test(expected)) throw badRequest('x-tsbit-sha256: must be the 64 hex digits of the sha256 of the body', 'x-tsbit-sha256');
    const kindHeader = request.headers['x-tsbit-kind'];
    const kind = kindHeader === undefined ? kindOf(params.name) : String(kindHeader);
    if (!(KINDS as string[]).includes(kind)) throw badRequest(`x-tsbit-kind: must be one of ${KINDS.join(', ')}`, 'x-tsbit-kind');
    if (!request.body || typeof (request.body as NodeJS.ReadableStream).pipe !== 'function') throw new HttpProblem(415, 'Unsupported Media Type', 'content-type: send the file as application/octet-stream', 'content-type');
    // Builders may share one token (a pool's Secret): the name they build under comes with the
    // upload; a token of its own, named after the builder, needs no header.
    const builderHeader = request.headers['x-tsbit-builder'];
    const builder = builderHeader === undefined ? (principal?.name ?? '') : String(builderHeader);
    if (!BUILDER_NAME.test(builder)) throw badRequest('x-tsbit-builder: the builder\'s name, letters, digits and "._-", at most 63 characters', 'x-tsbit-builder');
    try {
      await checkUploadScope(deps.log, { jobId, attempt, builder, kind: kind as ArtifactKind }, deps.uploadStartGraceMs ?? START_GRACE_MS);
    } catch (error) {
      uploads.inc({ result: 'refused' });
      // Read and dropped, so that the client gets the refusal rather than a broken pipe.
      (request.body as NodeJS.ReadableStream).resume();
      throw error;
    }

    const stream = artifactStreamId(jobId);
    const existing = (await deps.log.readStream(stream))
      .map((recorded) => deserializeEvent(recorded.type, recorded.data) as ArtifactStored)
      .find((event) => event.data.attempt === attempt && event.data.name === params.name && event.data.sha256 === expected);
    let result;
    try {
      result = await store.put(request.body as NodeJS.ReadableStream as never, expected, deps.maxUploadBytes);
    } catch (error) {
      uploads.inc({ result: 'error' });
      if ((error as NodeJS.ErrnoException).code === 'ENOSPC') throw new HttpProblem(507, 'Insufficient Storage', 'the artifact store is full');
      if (error instanceof RangeError) throw new HttpProblem(413, 'Content Too Large', error.message);
      throw error;
    }
    if (!result.stored) {
      uploads.inc({ result: 'checksum_mismatch' });
      throw new HttpProblem(422, 'Unprocessable Content', `x-tsbit-sha256: the body's sha256 is ${result.sha256}, not ${expected}`, 'x-tsbit-sha256');
    }
    if (existing) {
      uploads.inc({ result: 'repeated' });
      return reply.status(200).send(existing.data);
    }
    bytesStored.inc(result.size);
    const event: ArtifactStored = {
      type: 'ArtifactStored',
      data: { jobId, attempt, name: params.name, sha256: expected, size: String(result.size), kind: kind as ArtifactKind, builder, storedAt: clock().toISOString() },
    };
    await deps.log.append(stream, [{ ...serializeEvent(event), metadata: { causedBy: { kind: 'builder', name: builder } } }], 'any');
    uploads.inc({ result: 'stored' });
    return reply.status(201).send(event.data);
  });

  const download = async (request: FastifyRequest, reply: import('fastify').FastifyReply) => {
    const { sha256, name } = request.params as { sha256: string; name?: string };
    if (!SHA256.test(sha256)) throw badRequest('sha256: must be 64 lower-case hex digits', 'sha256');
    void reply.header('etag', `"${sha256}"`).header('cache-control', 'public, max-age=31536000, immutable');
    if (request.headers['if-none-match'] === `"${sha256}"`) return reply.status(304).send();
    const file = await store.open(sha256);
    if (!file) throw notFound(`no artifact ${sha256}`);
    void reply.header('content-length', file.size).type(CONTENT_TYPES[path.extname(name ?? '')] ?? 'application/octet-stream');
    if (name) void reply.header('content-disposition', `attachment; filename="${name.replace(/"/g, '')}"`);
    return reply.send(file.stream);
  };
  app.get('/artifacts/:sha256', download);
  app.get('/artifacts/:sha256/:name', download);
  app.get('/artifacts/:sha256/verify', async (request) => {
    authorize(await authenticate(request.headers.authorization, deps.tokens), 'admin');
    const { sha256 } = request.params as { sha256: string };
    if (!(await store.has(sha256))) throw notFound(`no artifact ${sha256}`);
    if (!(await store.verify(sha256))) throw new HttpProblem(409, 'Conflict', `artifact ${sha256} no longer matches its hash`);
    return { sha256, verified: true };
  });
  if (deps.repositories) registerRepositoryRoutes(app, deps.repositories);
  registerLogRoutes(app, {
    store: new LiveLogStore(path.join(deps.storeDir, 'logs'), deps.logLimitBytes ?? DEFAULT_LOG_LIMIT_BYTES),
    notifier: new LogNotifier(),
    contentStore: store,
    log: deps.log,
    tokens: deps.tokens,
    clock,
    ...(deps.uploadStartGraceMs === undefined ? {} : { startGraceMs: deps.uploadStartGraceMs }),
  });
  return app;
}
