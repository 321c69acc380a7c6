import type { BuilderView, JobSummary, JobView, TokenView } from '@tsbit/read-models';
import type { JobQuery, JobSubmissionBody } from './args';

/** The API's answers are the read models' views (services/job-intake serialises them as they are). */
export type { BuilderView, JobSummary, JobView, TokenView } from '@tsbit/read-models';
export type { Reason } from '@tsbit/domain';

export interface JobPage {
  items: JobSummary[];
  nextCursor: string | null;
  total?: number;
}

export interface IssuedToken {
  tokenId: string;
  name: string;
  role: string;
  token: string;
}

/** `POST /job` answers the job, or `{ jobs }` when it made one per architecture. */
export type Submitted = JobSummary | { jobs: JobSummary[] };

export const submittedJobs = (submitted: Submitted): JobSummary[] => ('jobs' in submitted ? submitted.jobs : [submitted]);

/** An RFC 9457 problem document the API answered, or a failure shaped like one. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly field?: string,
    readonly code?: string,
  ) {
    super(`${status} ${detail}`);
    this.name = 'ApiProblem';
  }
}

/** The API could not be reached at all (refused, timed out, DNS). */
export class ApiUnreachable extends Error {
  constructor(url: string, cause: unknown) {
    super(`cannot reach ${url}: ${describeCause(cause)}`);
    this.name = 'ApiUnreachable';
  }
}

/** A build log can be large; a request that hangs longer than this is a dead gateway, not a slow one. */
const REQUEST_TIMEOUT_MS = 60_000;
/** How much of a non-problem error body to show: enough to recognise a proxy's error page. */
const ERROR_BODY_PREVIEW_CHARS = 200;

export interface ApiClientOptions {
  baseUrl: string;
  token?: string;
  fetch?: typeof fetch;
}

export type ApiClient = ReturnType<typeof createApiClient>;

/** The REST API over fetch: the only place the CLI talks HTTP. Every failure is an ApiProblem or ApiUnreachable. */
export function createApiClient({ baseUrl, token, fetch: fetchImpl = fetch }: ApiClientOptions) {
  const base = baseUrl.replace(/\/+$/, '');

  const request = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const url = `${base}${path}`;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json' };
    // Reading is usually open, but a farm may require a token to read too, so it is always sent.
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await fetchImpl(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (error) {
      throw new ApiUnreachable(url, error);
    }
    if (!response.ok) throw await problemFrom(response);
    return response;
  };
  const json = async <T>(method: string, path: string, body?: unknown): Promise<T> => (await (await request(method, path, body)).json()) as T;
  /**
   * A GET whose body is read as text while it arrives, for as long as it lasts (a log being
   * followed): only the wait for the answer's head is timed.
   */
  const stream = async (path: string, headers: Record<string, string>): Promise<AsyncIterable<string>> => {
    const url = `${base}${path}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('no answer', 'TimeoutError')), REQUEST_TIMEOUT_MS);
    let response: Response;
    try {
      response = await fetchImpl(url, { headers: { ...headers, ...(token ? { authorization: `Bearer ${token}` } : {}) }, signal: controller.signal });
    } catch (error) {
      throw new ApiUnreachable(url, error);
    } finally {
      clearTimeout(timer);
    }
    if (!response.ok) throw await problemFrom(response);
    const body = response.body;
    return (async function* () {
      if (!body) return;
      const decoder = new TextDecoder();
      for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) yield decoder.decode(chunk, { stream: true });
      const rest = decoder.decode();
      if (rest) yield rest;
    })();
  };

  return {
    baseUrl: base,
    /** An absolute URL for a path the API answered (artifact URLs are relative to it). */
    resolve: (path: string): string => new URL(path, `${base}/`).toString(),
    submit: (body: JobSubmissionBody) => json<Submitted>('POST', '/job', body),
    jobs: (query: JobQuery) => json<JobPage>('GET', `/job${queryString(query)}`),
    job: (id: number) => json<JobView>('GET', `/job/${id}`),
    cancel: (id: number) => json<JobSummary>('POST', `/job/${id}/cancel`),
    retry: (id: number) => json<JobSummary>('POST', `/job/${id}/retry`),
    rebuildCheck: (id: number) => json<JobSummary>('POST', `/job/${id}/rebuild-check`),
    cancelPackage: (name: string) => json<{ package: string; cancelled: number }>('POST', `/package/${encodeURIComponent(name)}/cancel`),
    /**
     * `GET /job/:id/log` redirects to the log on the artifact service; fetch follows it (same
     * origin, so the token goes along). What exists so far, passed to `write` as it arrives: a
     * log can be hundreds of MiB.
     */
    buildLog: async (id: number, write: (text: string) => void): Promise<void> => {
      for await (const text of await stream(`/job/${id}/log`, { accept: 'text/plain, application/problem+json' })) write(text);
    },
    /** The log's lines as server-sent events until it is complete, from `lastEventId` on. */
    logEvents: (id: number, lastEventId: string | undefined) =>
      stream(`/job/${id}/log?follow=1`, { accept: 'text/event-stream, application/problem+json', ...(lastEventId === undefined ? {} : { 'last-event-id': lastEventId }) }),
    builders: () => json<BuilderView[]>('GET', '/buildd'),
    pause: (name: string) => json<{ name: string; paused: boolean }>('POST', `/buildd/${encodeURIComponent(name)}/pause`),
    resume: (name: string) => json<{ name: string; paused: boolean }>('POST', `/buildd/${encodeURIComponent(name)}/resume`),
    retire: (name: string) => json<{ deleted: string }>('DELETE', `/buildd/${encodeURIComponent(name)}`),
    issueToken: (name: string, role: string) => json<IssuedToken>('POST', '/token', { name, role }),
    tokens: () => json<TokenView[]>('GET', '/token'),
    revokeToken: (tokenId: string) => json<{ tokenId: string; revoked: boolean }>('DELETE', `/token/${encodeURIComponent(tokenId)}`),
  };
}

export function queryString(query: JobQuery): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== undefined) params.append(name, String(item));
  }
  const text = params.toString();
  return text === '' ? '' : `?${text}`;
}

async function problemFrom(response: Response): Promise<ApiProblem> {
  const text = await response.text().catch(() => '');
  try {
    const problem = JSON.parse(text) as { detail?: unknown; title?: unknown; field?: unknown; code?: unknown };
    const detail = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : response.statusText;
    return new ApiProblem(response.status, detail, typeof problem.field === 'string' ? problem.field : undefined, typeof problem.code === 'string' ? problem.code : undefined);
  } catch {
    return new ApiProblem(response.status, text.trim().slice(0, ERROR_BODY_PREVIEW_CHARS) || response.statusText);
  }
}

function describeCause(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  // undici hides the socket error (ECONNREFUSED, ENOTFOUND) behind "fetch failed".
  const cause = error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  if (cause?.code || cause?.message) return cause.code ?? cause.message!;
  return error instanceof Error ? error.message : String(error);
}
