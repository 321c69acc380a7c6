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

/**
 * A small real HTTP server standing in for the public API in tests: `GET /job/:id` answers from
 * `jobs`, `PUT /artifacts/jobs/:id/attempts/:n/:name` stores the body after checking the token and
 * the sha256 header, as the artifact service does.
 */
export interface TestApi {
  url: string;
  token: string;
  jobs: Map<number, { status: string; attempt: number }>;
  uploads: StoredUpload[];
  /** Answer uploads with this status instead of storing them (e.g. 500). */
  failUploadsWith?: number;
  close(): Promise<void>;
}

export async function startTestApi(token = 'tsbit_testbuilder_abcdefghijklmnopqrstuvwxyz'): Promise<TestApi> {
  const api: Omit<TestApi, 'url' | 'close'> = { token, jobs: new Map(), uploads: [] };
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
