import { createReadStream } from 'node:fs';
import type { Artifact } from '@tsbit/domain';
import type { LocalArtifact } from './artifacts';

/** A GET of the job must answer quickly; the request is retried through the queue otherwise. */
const API_TIMEOUT_MS = 10_000;
const UPLOAD_ATTEMPTS = 4;
const UPLOAD_BACKOFF_MS = 500;

/** What the builder needs to know of a job: `GET /job/:id` returns more. */
export interface JobState {
  status: string;
  attempt: number;
}

export interface ApiClient {
  /** The job as the API shows it, or undefined if it does not exist (deleted). */
  getJob(jobId: number): Promise<JobState | undefined>;
  /** Streams one file to the artifact store; retries network errors and 5xx with back-off. */
  uploadArtifact(target: { jobId: number; attempt: number }, artifact: LocalArtifact): Promise<void>;
  /**
   * Appends bytes to the attempt's live log at `offset` (`POST /logs/jobs/:id/attempts/:n?offset=`);
   * answers the log's size on the artifact service. Retries network errors and 5xx: the offset
   * makes a repeated append harmless.
   */
  appendLog(target: { jobId: number; attempt: number }, offset: number, bytes: Buffer): Promise<{ size: number }>;
  /** Marks the live log whole; answers it as the artifact (kind log) it was recorded as. */
  completeLog(target: { jobId: number; attempt: number }, log: { size: number; sha256: string }): Promise<Artifact>;
}

/** The API could not be reached or failed (network, time-out, 5xx): worth trying again later. */
export class ApiUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiUnavailable';
  }
}

/** The API refused the call (4xx): trying again will not help. */
export class ApiRejected extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** The problem document's members (`code`, `size`, ...), when the answer was one. */
    readonly problem: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiRejected';
  }
}

export interface ApiClientOptions {
  baseUrl: string;
  /** A token of role builder, sent as a Bearer token. */
  token: string;
  /**
   * The name this builder builds under, sent as `x-tsbit-builder`: the artifact service takes an
   * upload only from the builder holding the attempt's lease, and builders may share a token.
   */
  builderName?: string;
  uploadAttempts?: number;
  uploadBackoffMs?: number;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const attempts = options.uploadAttempts ?? UPLOAD_ATTEMPTS;
  const backoffMs = options.uploadBackoffMs ?? UPLOAD_BACKOFF_MS;
  const authorization: Record<string, string> = {
    ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    ...(options.builderName ? { 'x-tsbit-builder': options.builderName } : {}),
  };

  const describe = async (response: Response): Promise<string> => {
    const text = await response.text().catch(() => '');
    let detail = text.slice(0, 300);
    try {
      const problem = JSON.parse(text) as { detail?: string; title?: string };
      detail = problem.detail ?? problem.title ?? detail;
    } catch {
      // Not problem+json: keep the text.
    }
    return `${response.status}${detail ? `: ${detail}` : ''}`;
  };

  /** A small request (JSON or a log append) retried like uploads; 4xx is an ApiRejected with the problem's members. */
  const send = async (method: string, url: string, init: { headers: Record<string, string>; body: string | Buffer }): Promise<Response> => {
    let lastError: Error = new ApiUnavailable(`${method} ${url}: not tried`);
    for (let tried = 0; tried < attempts; tried += 1) {
      if (tried > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (tried - 1)));
      let response: Response;
      try {
        response = await fetch(url, { method, headers: { ...authorization, ...init.headers }, body: init.body, signal: AbortSignal.timeout(API_TIMEOUT_MS) });
      } catch (error) {
        lastError = new ApiUnavailable(`${method} ${url}: ${(error as Error).message}`);
        continue;
      }
      if (response.ok) return response;
      if (response.status < 500) {
        const text = await response.text().catch(() => '');
        let problem: Record<string, unknown> = {};
        try {
          problem = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // Not problem+json.
        }
        const detail = typeof problem.detail === 'string' ? problem.detail : text.slice(0, 300);
        throw new ApiRejected(response.status, `${method} ${url}: ${response.status}${detail ? `: ${detail}` : ''}`, problem);
      }
      lastError = new ApiUnavailable(`${method} ${url}: ${await describe(response)}`);
    }
    throw lastError;
  };

  return {
    async appendLog({ jobId, attempt }, offset, bytes) {
      const url = `${baseUrl}/logs/jobs/${jobId}/attempts/${attempt}?offset=${offset}`;
      const response = await send('POST', url, { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
      const answer = (await response.json()) as { size?: unknown };
      if (typeof answer.size !== 'number') throw new ApiUnavailable(`POST ${url}: the answer has no size`);
      return { size: answer.size };
    },

    async completeLog({ jobId, attempt }, log) {
      const url = `${baseUrl}/logs/jobs/${jobId}/attempts/${attempt}/complete`;
      const response = await send('POST', url, { headers: { 'content-type': 'application/json' }, body: JSON.stringify(log) });
      const stored = (await response.json()) as Partial<Artifact>;
      if (typeof stored.name !== 'string' || stored.sha256 !== log.sha256) throw new ApiUnavailable(`POST ${url}: the answer is not the stored log`);
      return { name: stored.name, sha256: log.sha256, size: String(log.size), kind: 'log' };
    },

    async getJob(jobId) {
      const url = `${baseUrl}/job/${jobId}`;
      let response: Response;
      try {
        response = await fetch(url, { headers: { accept: 'application/json', ...authorization }, signal: AbortSignal.timeout(API_TIMEOUT_MS) });
      } catch (error) {
        throw new ApiUnavailable(`GET ${url}: ${(error as Error).message}`);
      }
      if (response.status === 404) {
        await response.body?.cancel();
        return undefined;
      }
      if (response.status >= 500) throw new ApiUnavailable(`GET ${url}: ${await describe(response)}`);
      if (!response.ok) throw new ApiRejected(response.status, `GET ${url}: ${await describe(response)}`);
      const job = (await response.json()) as Partial<JobState>;
      if (typeof job.status !== 'string' || typeof job.attempt !== 'number') {
        throw new ApiUnavailable(`GET ${url}: the answer has no status and attempt`);
      }
      return { status: job.status, attempt: job.attempt };
    },

    async uploadArtifact({ jobId, attempt }, artifact) {
      const url = `${baseUrl}/artifacts/jobs/${jobId}/attempts/${attempt}/${encodeURIComponent(artifact.name)}`;
      let lastError: Error = new ApiUnavailable(`PUT ${url}: not tried`);
      for (let tried = 0; tried < attempts; tried += 1) {
        if (tried > 0) await new Promise((resolve) => setTimeout(resolve, backoffMs * 2 ** (tried - 1)));
        let response: Response;
        try {
          // A fresh stream each time: a failed attempt has consumed the previous one.
          response = await fetch(url, {
            method: 'PUT',
            headers: {
              ...authorization,
              'content-type': 'application/octet-stream',
              'content-length': artifact.size,
              'x-tsbit-sha256': artifact.sha256,
              'x-tsbit-kind': artifact.kind,
            },
            body: createReadStream(artifact.path),
            duplex: 'half',
          });
        } catch (error) {
          lastError = new ApiUnavailable(`PUT ${url}: ${(error as Error).message}`);
          continue;
        }
        if (response.ok) {
          await response.body?.cancel();
          return;
        }
        const detail = await describe(response);
        if (response.status < 500) throw new ApiRejected(response.status, `PUT ${url}: ${detail}`);
        lastError = new ApiUnavailable(`PUT ${url}: ${detail}`);
      }
      throw lastError;
    },
  };
}
