import { createReadStream } from 'node:fs';
import { link, mkdir, open, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { artifactStreamId, deserializeEvent, serializeEvent, type ArtifactStored } from '@tsbit/domain';
import type { EventLog } from '@tsbit/event-log';
import { authenticate, authorize, counter, gauge, HttpProblem, notFound, toProblem, type Principal, type TokenLookup } from '@tsbit/service-kit';
import type { ContentStore } from '../store';
import { checkUploadScope, START_GRACE_MS } from '../upload-scope';
import { attemptStanding } from './attempt-standing';
import { parseByteRange } from './byte-range';
import { LiveLogStore, LogRefused, type Completion, type LogKey, type LogRefusal } from './live-log-store';
import type { LogNotifier } from './log-notifier';
import { endEvent, KEEP_ALIVE, logEvent, takeLines } from './sse-lines';

const followersGauge = gauge('tsbit_log_followers', 'Clients following a build log now');

/** One append's body at most: the builder sends every ~0.5 s or 64 KiB, and catches up in pieces of this. */
export const MAX_APPEND_BYTES = 4 * 1024 * 1024;
/** What a follower reads from disk at a time: its memory, whatever the size of the log. */
const FOLLOW_READ_BYTES = 64 * 1024;
/** A follower that was not woken looks again after this long, and sends a keep-alive comment. */
const FOLLOW_FALLBACK_POLL_MS = 5000;
/** What EventSource clients wait before reconnecting. */
const RECONNECT_MS = 2000;
const LOG_NAME = 'build.log';
/** As builders name themselves (TSBIT_BUILDER_NAME), and as uploads check `x-tsbit-builder`. */
const BUILDER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const SHA256 = '^[0-9a-f]{64}$';

const appends = counter('tsbit_live_log_appends_total', 'Appends to live build logs, by result', ['result']);
const appendedBytes = counter('tsbit_live_log_bytes_total', 'Bytes appended to live build logs');

const LogParams = Type.Object({
  jobId: Type.Integer({ minimum: 1, description: 'the job' }),
  attempt: Type.Integer({ minimum: 1, description: 'the attempt of the job' }),
});
const AppendQuery = Type.Object({ offset: Type.Integer({ minimum: 0, description: 'where in the log the body starts' }) }, { additionalProperties: false });
const CompleteBody = Type.Object(
  {
    size: Type.Integer({ minimum: 0, description: 'the whole log, in bytes' }),
    sha256: Type.String({ pattern: SHA256, description: "the whole log's sha256, 64 lower-case hex digits" }),
  },
  { additionalProperties: false },
);
const ReadQuery = Type.Object(
  { follow: Type.Optional(Type.Union(['1', 'true', '0', 'false'].map((value) => Type.Literal(value)), { description: 'stream new lines as server-sent events' })) },
  { additionalProperties: false },
);

export interface LogRoutesDeps {
  store: LiveLogStore;
  notifier: LogNotifier;
  /** Where completed logs are kept by sha256, as every other artifact. */
  contentStore: ContentStore;
  log: EventLog;
  tokens: TokenLookup;
  clock: () => Date;
  /**
   * Refuses (with an HttpProblem) a builder's write for an attempt it may not write to. Defaults
   * to the uploads' scope check: the builder holds the lease on that attempt.
   */
  checkAttempt?: (target: LogKey, builder: string) => Promise<void>;
  /** How long a write for a queued attempt waits for its BuildStarted (as uploads do). */
  startGraceMs?: number;
}

/** A log as readers see it: the live file, or the stored artifact of an attempt logged the old way. */
interface LogSource {
  path: string;
  size: number;
  complete?: Pick<Completion, 'size' | 'sha256'>;
}

/**
 * Live build logs. Builders append while they build (`POST /logs/jobs/:jobId/attempts/:attempt?offset=N`)
 * and complete the log at the end (`POST .../complete`), which records it as the attempt's
 * ArtifactStored of kind log. Anyone reads it while it grows: what exists so far, a `Range` of it,
 * or (`Accept: text/event-stream` or `?follow=1`) its lines as server-sent events until it is
 * complete, resuming from `Last-Event-ID`.
 */
export function registerLogRoutes(app: FastifyInstance, deps: LogRoutesDeps): void {
  const { store, notifier, contentStore, log, tokens, clock } = deps;
  // Appends and the completion are scoped as uploads of the log are: same lease, same refusals.
  const checkAttempt =
    deps.checkAttempt ?? ((target: LogKey, builder: string) => checkUploadScope(log, { ...target, builder, kind: 'log' }, deps.startGraceMs ?? START_GRACE_MS));
  /** Followers' streams, ended when the service closes so that its close does not wait on them. */
  const followers = new Set<AbortController>();
  app.addHook('preClose', async () => {
    for (const follower of followers) follower.abort();
  });

  /**
   * The builder writing, as uploads name it: builders of a pool may share one token, so the name
   * they build under comes in `x-tsbit-builder`; a token of its own, named after the builder,
   * needs no header.
   */
  const builderFor = async (request: FastifyRequest, key: LogKey): Promise<string> => {
    const principal = authorize(await authenticate(request.headers.authorization, tokens), 'report') as Principal;
    const header = request.headers['x-tsbit-builder'];
    const builder = header === undefined ? principal.name : String(header);
    if (!BUILDER_NAME.test(builder)) throw new HttpProblem(400, 'Bad Request', 'x-tsbit-builder: the builder\'s name, letters, digits and "._-", at most 63 characters', 'x-tsbit-builder');
    await checkAttempt({ jobId: key.jobId, attempt: key.attempt }, builder);
    return builder;
  };

  app.post('/logs/jobs/:jobId/attempts/:attempt', { schema: { params: LogParams, querystring: AppendQuery } }, async (request, reply) => {
    const key = request.params as Static<typeof LogParams>;
    const { offset } = request.query as Static<typeof AppendQuery>;
    const body = request.body as Readable | undefined;
    if (!body || typeof body.pipe !== 'function') throw new HttpProblem(415, 'Unsupported Media Type', 'content-type: send the bytes as application/octet-stream', 'content-type');
    try {
      await builderFor(request, key);
    } catch (error) {
      // Read and dropped, so that the builder gets the refusal rather than a broken pipe.
      body.resume();
      throw error;
    }
    const bytes = await readAppend(body);
    let appended: { size: number; written: number };
    try {
      appended = await store.append(key, offset, bytes);
    } catch (error) {
      appends.inc({ result: error instanceof LogRefused ? error.refusal.code : 'error' });
      throw error instanceof LogRefused ? refusalProblem(error.refusal) : error;
    }
    appends.inc({ result: appended.written > 0 ? 'stored' : 'repeated' });
    appendedBytes.inc(appended.written);
    if (appended.written > 0) notifier.notify(key);
    return reply.status(200).send({ jobId: key.jobId, attempt: key.attempt, size: appended.size });
  });

  app.post('/logs/jobs/:jobId/attempts/:attempt/complete', { schema: { params: LogParams, body: CompleteBody } }, async (request, reply) => {
    const key = request.params as Static<typeof LogParams>;
    const { size, sha256 } = request.body as Static<typeof CompleteBody>;
    const builder = await builderFor(request, key);
    let completed: Awaited<ReturnType<LiveLogStore['complete']>>;
    try {
      completed = await store.complete(key, size, sha256, clock());
    } catch (error) {
      throw error instanceof LogRefused ? refusalProblem(error.refusal) : error;
    }
    notifier.notify(key);
    await keepInContentStore(contentStore, completed.path, sha256);
    const { event, created } = await recordLogArtifact(log, key, { size, sha256, builder, storedAt: clock() });
    return reply.status(created ? 201 : 200).send({ ...event.data, completedAt: completed.completion.completedAt });
  });

  /** The live log, unless the attempt's log was stored whole some other way (an upload) and the live one is not complete. */
  const resolveLog = async (key: LogKey): Promise<LogSource | undefined> => {
    const live = await store.info(key);
    if (live?.complete) return live;
    const stored = await storedLogArtifact(log, key);
    if (stored) return { path: contentStore.pathOf(stored.sha256), size: Number(stored.size), complete: { size: Number(stored.size), sha256: stored.sha256 } };
    return live;
  };

  app.get('/logs/jobs/:jobId/attempts/:attempt', { schema: { params: LogParams, querystring: ReadQuery } }, async (request, reply) => {
    const key = request.params as Static<typeof LogParams>;
    const { follow } = request.query as Static<typeof ReadQuery>;
    const source = await resolveLog(key);
    const wantsEvents = follow === '1' || follow === 'true' || (follow === undefined && String(request.headers.accept ?? '').includes('text/event-stream'));
    // A follower may come a moment before the builder opens the log: it waits for it while the attempt is live.
    if (wantsEvents && (source || (await attemptStanding(log, key)).live)) return followLog(request, reply, key, source);
    if (!source) throw notFound(`job ${key.jobId} has no log for attempt ${key.attempt} (yet)`);

    void reply
      .header('accept-ranges', 'bytes')
      .header('x-tsbit-log-complete', String(source.complete !== undefined))
      .type('text/plain; charset=utf-8');
    if (source.complete) {
      const etag = `"${source.complete.sha256}"`;
      void reply.header('etag', etag).header('cache-control', 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.status(304).send();
    } else void reply.header('cache-control', 'no-store');
    const range = parseByteRange(request.headers.range, source.size);
    if (range.kind === 'unsatisfiable') {
      const problem = { ...toProblem(new HttpProblem(416, 'Range Not Satisfiable', range.why, 'range'), request.url), title: 'Range Not Satisfiable' };
      return reply.status(416).header('content-range', `bytes */${source.size}`).type('application/problem+json').send(problem);
    }
    if (source.size === 0) return reply.status(200).header('content-length', 0).send('');
    const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, source.size - 1];
    if (range.kind === 'partial') void reply.status(206).header('content-range', `bytes ${start}-${end}/${source.size}`);
    // Only the bytes that were there when the request came: a growing log is read up to that size.
    return reply.header('content-length', end - start + 1).send(createReadStream(source.path, { start, end }));
  });

  /** Streams a log's events; `initial` is undefined for a live attempt whose builder has not opened its log yet. */
  async function followLog(request: FastifyRequest, reply: FastifyReply, key: LogKey, initial: LogSource | undefined): Promise<FastifyReply> {
    const resumeHeader = request.headers['last-event-id'];
    let position = 0;
    if (resumeHeader !== undefined) {
      const text = String(resumeHeader).trim();
      const size = initial?.size ?? 0;
      if (!/^\d{1,15}$/.test(text) || Number(text) > size) {
        throw new HttpProblem(400, 'Bad Request', `last-event-id: must be a byte offset of the log, from 0 to ${size}`, 'last-event-id');
      }
      position = Number(text);
    }
    const controller = new AbortController();
    const { signal } = controller;
    followers.add(controller);
    followersGauge.inc();
    const raw = reply.hijack().raw;
    raw.on('close', () => controller.abort());
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      // nginx (the Ingress) must pass events on as they come, not buffer them.
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
    });
    const send = async (text: string | Buffer): Promise<void> => {
      if (!raw.write(text)) await once(raw, 'drain', { signal });
    };
    const subscription = notifier.subscribe(key);
    let handle: FileHandle | undefined;
    try {
      await send(`retry: ${RECONNECT_MS}\n\n`);
      let source = initial;
      let abandoned: string | undefined;
      const buffer = Buffer.allocUnsafe(FOLLOW_READ_BYTES);
      while (!signal.aborted) {
        const size = source?.size ?? 0;
        const ended = source?.complete !== undefined || abandoned !== undefined;
        if (source && position < size) {
          handle ??= await open(source.path, 'r');
          const { bytesRead } = await handle.read(buffer, 0, Math.min(FOLLOW_READ_BYTES, size - position), position);
          const chunk = buffer.subarray(0, bytesRead);
          const batch = takeLines(chunk, { final: ended && position + bytesRead >= size, chunkFull: bytesRead === FOLLOW_READ_BYTES });
          if (batch) {
            position += batch.length;
            await send(logEvent(chunk.subarray(0, batch.length), position));
            continue;
          }
        }
        if (ended && position >= size) {
          await send(endEvent(source?.complete ? { size, sha256: source.complete.sha256, complete: true as const } : { size, complete: false as const, detail: abandoned }));
          break;
        }
        const wake = await subscription.next(FOLLOW_FALLBACK_POLL_MS, signal);
        if (wake === 'aborted') break;
        const next = wake === 'changed' ? await store.info(key) : await lookAgain(key);
        if (next && 'abandoned' in next) abandoned = next.abandoned;
        else if (next) {
          // The attempt's log stored whole another way (an upload) takes over from the live file.
          if (handle && source && next.path !== source.path) {
            await handle.close();
            handle = undefined;
          }
          source = next;
        }
        if (wake === 'timeout') await send(KEEP_ALIVE);
      }
    } catch (error) {
      if (!signal.aborted) request.log.warn({ err: error }, 'following a log failed');
    } finally {
      subscription.close();
      followers.delete(controller);
      followersGauge.dec();
      await handle?.close().catch(() => undefined);
      raw.end();
    }
    return reply;
  }

  /**
   * What a follower that was not woken finds: the log as it is now, or that its attempt ended
   * without completing it (a builder that died: its lease expired), after which nothing more
   * will come.
   */
  async function lookAgain(key: LogKey): Promise<LogSource | { abandoned: string } | undefined> {
    const source = await resolveLog(key);
    if (source?.complete) return source;
    const standing = await attemptStanding(log, key);
    if (standing.live) return source;
    // Completed between the two looks: the builder completes before it reports the end.
    const again = await resolveLog(key);
    if (again?.complete) return again;
    return { abandoned: standing.why };
  }
}

function refusalProblem(refusal: LogRefusal): HttpProblem {
  switch (refusal.code) {
    case 'offset_mismatch':
      return new HttpProblem(409, 'Conflict', `offset: the log has ${refusal.size} bytes; append from there`, 'offset', { ...refusal });
    case 'content_mismatch':
      return new HttpProblem(409, 'Conflict', `offset: bytes before ${refusal.size} differ from those already stored there`, 'offset', { ...refusal });
    case 'log_complete':
      return new HttpProblem(409, 'Conflict', `the log is complete at ${refusal.size} bytes and takes no more`, undefined, { ...refusal });
    case 'log_too_large':
      return new HttpProblem(413, 'Content Too Large', `the log would pass its limit of ${refusal.limit} bytes (TSBIT_LOG_LIMIT_BYTES)`, undefined, { ...refusal });
    case 'checksum_mismatch':
      return new HttpProblem(422, 'Unprocessable Content', `sha256: the log's ${refusal.size} bytes have sha256 ${refusal.sha256}`, 'sha256', { ...refusal });
    default: {
      const unhandled: never = refusal;
      throw new Error(`unhandled refusal ${JSON.stringify(unhandled)}`);
    }
  }
}

/** An append's body, refused with 413 past MAX_APPEND_BYTES rather than held in memory. */
async function readAppend(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body) {
    length += (chunk as Buffer).length;
    if (length > MAX_APPEND_BYTES) {
      body.destroy();
      throw new HttpProblem(413, 'Content Too Large', `body: one append carries at most ${MAX_APPEND_BYTES} bytes; send the rest in the next`, 'body', { code: 'append_too_large' });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, length);
}

/**
 * A completed log is an artifact like any other: downloadable by its sha256. It is linked, not
 * copied, into the content store: a completed log never changes again.
 */
async function keepInContentStore(contentStore: ContentStore, file: string, sha256: string): Promise<void> {
  if (await contentStore.has(sha256)) return;
  const target = contentStore.pathOf(sha256);
  await mkdir(path.dirname(target), { recursive: true });
  try {
    await link(file, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code !== 'EXDEV' && code !== 'EPERM') throw error;
    // The live logs are on another file system: copy, hashing on the way.
    const copied = await contentStore.put(createReadStream(file), sha256, Number.MAX_SAFE_INTEGER);
    if (!copied.stored) throw new Error(`the completed log ${file} no longer has sha256 ${sha256}`);
  }
}

async function storedArtifacts(log: EventLog, jobId: number): Promise<ArtifactStored[]> {
  return (await log.readStream(artifactStreamId(jobId))).map((recorded) => deserializeEvent(recorded.type, recorded.data) as ArtifactStored);
}

/** The attempt's log as an ArtifactStored, if one was recorded (the latest). */
async function storedLogArtifact(log: EventLog, key: LogKey): Promise<ArtifactStored['data'] | undefined> {
  return (await storedArtifacts(log, key.jobId)).filter((event) => event.data.attempt === key.attempt && event.data.kind === 'log').at(-1)?.data;
}

/** ArtifactStored for the completed log, once however often the completion is repeated. */
async function recordLogArtifact(
  log: EventLog,
  key: LogKey,
  stored: { size: number; sha256: string; builder: string; storedAt: Date },
): Promise<{ event: ArtifactStored; created: boolean }> {
  const existing = (await storedArtifacts(log, key.jobId)).find((event) => event.data.attempt === key.attempt && event.data.name === LOG_NAME && event.data.sha256 === stored.sha256);
  if (existing) return { event: existing, created: false };
  const event: ArtifactStored = {
    type: 'ArtifactStored',
    data: { jobId: key.jobId, attempt: key.attempt, name: LOG_NAME, sha256: stored.sha256, size: String(stored.size), kind: 'log', builder: stored.builder, storedAt: stored.storedAt.toISOString() },
  };
  await log.append(artifactStreamId(key.jobId), [{ ...serializeEvent(event), metadata: { causedBy: { kind: 'builder', name: stored.builder } } }], 'any');
  return { event, created: true };
}
