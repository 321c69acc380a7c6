import { open, type FileHandle } from 'node:fs/promises';
import type { Artifact } from '@tsbit/domain';
import type { Logger } from '@tsbit/service-kit';
import { ApiRejected, type ApiClient } from './api-client';
import { describeArtifact } from './artifacts';

/** TSBIT_LOG_LIMIT_BYTES's default: a log past it ends the build (`log_too_large`). */
export const DEFAULT_LOG_LIMIT_BYTES = 256 * 1024 * 1024;
/** Room kept under the limit for the lines that say why the log was cut. */
export const LOG_TRAILER_RESERVE_BYTES = 4096;
/** How often the local log's size is looked at (an fstat), for new bytes and for the limit. */
const CHECK_INTERVAL_MS = 100;
/** New bytes are sent once this many have gathered... */
const FLUSH_BYTES = 64 * 1024;
/** ...or once they have waited this long. */
const FLUSH_INTERVAL_MS = 500;
/** One append at most: a builder that fell behind catches up in pieces of this. */
const MAX_APPEND_BYTES = 1024 * 1024;
/** After the artifact service could not be reached (its own retries spent), wait this long. */
const UNAVAILABLE_PAUSE_MS = 2000;
/** Offset corrections in a row before the live log is given up (the service keeps disagreeing). */
const MAX_MISMATCHES = 3;

export interface LiveLogOptions {
  api: ApiClient;
  target: { jobId: number; attempt: number };
  /** The local build.log, written by the build through a file descriptor. */
  path: string;
  limitBytes: number;
  logger: Logger;
  /** Called once when the log passes its limit here, or the artifact service refuses it as too large. */
  onTooLarge: () => void;
}

/**
 * Streams a build's local log to the artifact service while the build writes it: it tails the
 * file and appends what is new every FLUSH_INTERVAL_MS or FLUSH_BYTES, each append naming its
 * offset, so that a retry after a lost answer stores nothing twice and a gap is told, not made.
 * It also watches the log's size against its limit. Streaming is best effort: a log that cannot
 * be streamed is uploaded whole at the end, as before live logs.
 */
export class LiveLog {
  /** Bytes the artifact service has. */
  private sent = 0;
  private handle: FileHandle | undefined;
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> | undefined;
  private waitingSince: number | undefined;
  private pausedUntil = 0;
  private gaveUp: string | undefined;
  private tooLarge = false;
  /** Set by finish: no tick sends any more, finish sends the rest itself. */
  private tailing = true;
  private readonly buffer = Buffer.allocUnsafe(MAX_APPEND_BYTES);

  constructor(private readonly options: LiveLogOptions) {}

  get limitBytes(): number {
    return this.options.limitBytes;
  }

  /** Where the build's own output must stop: the limit, less room for the lines that say so. */
  get cutOffset(): number {
    return Math.max(0, this.options.limitBytes - LOG_TRAILER_RESERVE_BYTES);
  }

  /** Opens the log on the artifact service at once (so that followers can attach) and starts tailing. */
  start(): void {
    this.launch(0, true);
    this.timer = setInterval(() => void this.tick().catch((error: unknown) => this.options.logger.warn({ err: error }, 'cannot read the build log')), CHECK_INTERVAL_MS);
  }

  private launch(end: number, force: boolean): void {
    this.sending = this.send(end, force)
      .catch((error: unknown) => this.refused(error))
      .finally(() => {
        this.sending = undefined;
      });
  }

  private async tick(): Promise<void> {
    if (this.sending || this.gaveUp !== undefined) return;
    const size = await this.localSize();
    if (!this.tailing) return;
    if (size > this.cutOffset) this.passLimit();
    const end = Math.min(size, this.cutOffset);
    if (end <= this.sent) {
      this.waitingSince = undefined;
      return;
    }
    const now = Date.now();
    this.waitingSince ??= now;
    if (now < this.pausedUntil) return;
    if (end - this.sent < FLUSH_BYTES && now - this.waitingSince < FLUSH_INTERVAL_MS) return;
    this.launch(end, false);
  }

  /** Whether the log is over its limit now (checked once more at the end of the build). */
  async overLimit(): Promise<boolean> {
    return (await this.localSize()) > this.cutOffset;
  }

  private passLimit(): void {
    if (this.tooLarge) return;
    this.tooLarge = true;
    this.options.logger.warn({ ...this.options.target, limit: this.options.limitBytes }, 'the build log passed its limit: stopping the build');
    this.options.onTooLarge();
  }

  private async localSize(): Promise<number> {
    this.handle ??= await open(this.options.path, 'r');
    return (await this.handle.stat()).size;
  }

  /** Sends the bytes from `sent` up to `end`, a piece at a time; `force` sends even nothing (to open the log). */
  private async send(end: number, force: boolean): Promise<void> {
    let mismatches = 0;
    while (this.gaveUp === undefined && (this.sent < end || force)) {
      force = false;
      const length = Math.min(end - this.sent, MAX_APPEND_BYTES);
      this.handle ??= await open(this.options.path, 'r');
      const { bytesRead } = length > 0 ? await this.handle.read(this.buffer, 0, length, this.sent) : { bytesRead: 0 };
      try {
        this.sent = (await this.options.api.appendLog(this.options.target, this.sent, this.buffer.subarray(0, bytesRead))).size;
        this.waitingSince = undefined;
        mismatches = 0;
      } catch (error) {
        const theirs = error instanceof ApiRejected && error.problem.code === 'offset_mismatch' ? error.problem.size : undefined;
        // The service has more or less than we thought (an answer lost, a restart): go on from
        // there, as long as it has no more than this log, and without going round in circles.
        if (typeof theirs === 'number' && theirs <= (await this.localSize()) && mismatches < MAX_MISMATCHES) {
          mismatches += 1;
          this.sent = theirs;
          continue;
        }
        this.refused(error);
        return;
      }
    }
  }

  private refused(error: unknown): void {
    if (!(error instanceof ApiRejected)) {
      // Unreachable or failing (its retries spent): the bytes stay here; try again in a while.
      this.pausedUntil = Date.now() + UNAVAILABLE_PAUSE_MS;
      this.options.logger.warn({ err: error, ...this.options.target }, 'cannot stream the build log; trying again');
      return;
    }
    if (error.problem.code === 'log_too_large') this.passLimit();
    this.gaveUp = error.message;
    this.options.logger.warn({ err: error, ...this.options.target }, 'the artifact service refused the live log; it will be uploaded whole at the end');
  }

  /**
   * Once the build has stopped writing: sends the rest, then completes the log with its size and
   * sha256, which records it as the attempt's log artifact. Undefined when the live log could not
   * be completed: the caller then uploads the file whole.
   */
  async finish(): Promise<Artifact | undefined> {
    this.stopTailing();
    await this.sending;
    try {
      const size = await this.localSize();
      for (let tries = 0; this.sent < size && this.gaveUp === undefined; tries += 1) {
        if (tries > 0 && this.pausedUntil > Date.now()) return undefined;
        await this.send(size, false);
      }
      if (this.gaveUp !== undefined || this.sent !== size) return undefined;
      const described = await describeArtifact(this.options.path, 'log');
      if (Number(described.size) !== size) return undefined;
      return await this.options.api.completeLog(this.options.target, { size, sha256: described.sha256 });
    } catch (error) {
      this.options.logger.warn({ err: error, ...this.options.target }, 'cannot complete the live log; uploading it whole');
      return undefined;
    } finally {
      await this.close();
    }
  }

  private stopTailing(): void {
    this.tailing = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops without completing. */
  async close(): Promise<void> {
    this.stopTailing();
    await this.sending;
    await this.handle?.close().catch(() => undefined);
    this.handle = undefined;
  }
}
