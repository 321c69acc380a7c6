import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StoredUpload {
  jobId: number;
  attempt: number;
  name: string;
  kind: string;
  sha256: string;
  content: Buffer;
}

/** A live log as the fake artifact service holds it. */
export interface LiveLogCopy {
  content: Buffer;
  complete: boolean;
  /** The offset and length of every append it took, in order. */
  appends: { offset: number; length: number }[];
}

/**
 * A small real HTTP server standing in for the public API in tests: `GET /job/:id` answers from
 * `jobs`, `PUT /artifacts/jobs/:id/attempts/:n/:name` stores the body after checking the token and
 * the sha256 header, as the artifact service does. Live logs as well: `POST /logs/jobs/:id/attempts/:n?offset=`
 * appends with the service's offset rules, and `POST .../complete` checks size and sha256 and
 * records the log among `uploads`, as the service records it as an artifact.
 */
export interface TestApi {
  url: string;
  token: string;
  jobs: Map<number, { status: string; attempt: number }>;
  uploads: StoredUpload[];
  /** Answer uploads with this status instead of storing them (e.g. 500). */
  failUploadsWith?: number;
  /** Awaited before `GET /job/:id` answers: holds a builder at its check of the job. */
  beforeJobCheck?: (jobId: number) => Promise<void> | void;
  /** Live logs by `<jobId>/<attempt>`. */
  liveLogs: Map<string, LiveLogCopy>;
  /** Answer live-log appends with this status (e.g. 500, 409). */
  failLogAppendsWith?: number;
  /** Refuse appends past this many bytes with 413, as TSBIT_LOG_LIMIT_BYTES does. */
  logLimitBytes?: number;
  close(): Promise<void>;
}

export async function startTestApi(token = 'tsbit_testbuilder_abcdefghijklmnopqrstuvwxyz'): Promise<TestApi> {
  const api: Omit<TestApi, 'url' | 'close'> = { token, jobs: new Map(), uploads: [], liveLogs: new Map() };
  const server: Server = createServer((request, response) => {
    void handle(request).then(
      ({ status, body }) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      },
      (error: Error) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ detail: error.message }));
      },
    );
  });

  async function handle(request: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const url = new URL(request.url ?? '/', 'http://test');
    const job = /^\/job\/(\d+)$/.exec(url.pathname);
    if (request.method === 'GET' && job) {
      await api.beforeJobCheck?.(Number(job[1]));
      const state = api.jobs.get(Number(job[1]));
      return state ? { status: 200, body: { id: Number(job[1]), ...state } } : { status: 404, body: { detail: 'no such job' } };
    }
    const upload = /^\/artifacts\/jobs\/(\d+)\/attempts\/(\d+)\/([^/]+)$/.exec(url.pathname);
    if (request.method === 'PUT' && upload) {
      if (request.headers.authorization !== `Bearer ${api.token}`) return { status: 401, body: { detail: 'bad token' } };
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      if (api.failUploadsWith) return { status: api.failUploadsWith, body: { detail: 'failing on purpose' } };
      const content = Buffer.concat(chunks);
      const sha256 = createHash('sha256').update(content).digest('hex');
      if (sha256 !== request.headers['x-tsbit-sha256']) return { status: 422, body: { detail: 'sha256 mismatch' } };
      api.uploads.push({
        jobId: Number(upload[1]),
        attempt: Number(upload[2]),
        name: decodeURIComponent(upload[3] as string),
        kind: String(request.headers['x-tsbit-kind']),
        sha256,
        content,
      });
      return { status: 201, body: { sha256 } };
    }
    const live = /^\/logs\/jobs\/(\d+)\/attempts\/(\d+)(\/complete)?$/.exec(url.pathname);
    if (request.method === 'POST' && live) {
      if (request.headers.authorization !== `Bearer ${api.token}`) return { status: 401, body: { detail: 'bad token' } };
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const [jobId, attempt] = [Number(live[1]), Number(live[2])];
      const copy = api.liveLogs.get(`${jobId}/${attempt}`) ?? { content: Buffer.alloc(0), complete: false, appends: [] };
      api.liveLogs.set(`${jobId}/${attempt}`, copy);
      const size = copy.content.length;
      if (live[3]) {
        const claimed = JSON.parse(body.toString('utf8')) as { size: number; sha256: string };
        if (claimed.size !== size) return { status: 409, body: { code: 'offset_mismatch', size } };
        const sha256 = createHash('sha256').update(copy.content).digest('hex');
        if (claimed.sha256 !== sha256) return { status: 422, body: { code: 'checksum_mismatch', size, sha256 } };
        const artifact = { jobId, attempt, name: 'build.log', kind: 'log', sha256, size: String(size) };
        if (!copy.complete) api.uploads.push({ ...artifact, content: copy.content });
        copy.complete = true;
        return { status: 201, body: artifact };
      }
      if (api.failLogAppendsWith) return { status: api.failLogAppendsWith, body: { detail: 'failing on purpose' } };
      const offset = Number(url.searchParams.get('offset'));
      if (offset > size) return { status: 409, body: { code: 'offset_mismatch', size } };
      const overlap = Math.min(size - offset, body.length);
      if (!copy.content.subarray(offset, offset + overlap).equals(body.subarray(0, overlap))) return { status: 409, body: { code: 'content_mismatch', size } };
      const rest = body.subarray(overlap);
      if (rest.length > 0 && copy.complete) return { status: 409, body: { code: 'log_complete', size } };
      if (api.logLimitBytes !== undefined && size + rest.length > api.logLimitBytes) return { status: 413, body: { code: 'log_too_large', size, limit: api.logLimitBytes } };
      copy.content = Buffer.concat([copy.content, rest]);
      copy.appends.push({ offset, length: body.length });
      return { status: 200, body: { jobId, attempt, size: copy.content.length } };
    }
    return { status: 404, body: { detail: 'no route' } };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const result = api as TestApi;
  result.url = `http://127.0.0.1:${port}`;
  result.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return result;
}
