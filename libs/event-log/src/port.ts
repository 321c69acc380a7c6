import type { JsonObject } from '@tsbit/contracts';

/**
 * The append-only event log, the single source of truth of tsbit. Two adapters implement it
 * (PostgreSQL, the default; EventStoreDB for clusters) and one contract suite tests both.
 */

/** The version of a stream's last event (its first event has version 0), or a looser rule. */
export type ExpectedVersion = number | 'no_stream' | 'any';

export interface NewEvent {
  type: string;
  data: JsonObject;
  /** Who or what caused the event, correlation and causation ids, trace context. */
  metadata?: JsonObject;
}

export interface RecordedEvent {
  stream: string;
  /** Position of the event in its stream, from 0. */
  version: number;
  /** Position of the event in the whole log, from 1; readers never see a gap appear later. */
  position: bigint;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
  recordedAt: Date;
}

export interface AppendResult {
  /** Pass this as the expected version of the next append to the same stream. */
  nextExpectedVersion: number;
  /** Global position of the last event appended. */
  lastPosition: bigint;
}

export interface StreamAppend {
  stream: string;
  events: NewEvent[];
  expectedVersion: ExpectedVersion;
}

export interface SubscribeOptions {
  /** Deliver events with a position greater than this; 0n delivers the whole log. */
  after: bigint;
  /** Called with the error when the handler throws or the log is unreachable for good; the subscription stops. */
  onError?: (error: Error) => void;
}

export interface Subscription {
  /** Stops delivering; resolves once the handler call in flight, if any, has finished. */
  stop(): Promise<void>;
}

export interface EventLog {
  /** True when appendMany is all or nothing across streams. */
  readonly atomicAppendMany: boolean;
  /** Appends all events or none, in one round trip; throws WrongExpectedVersion on a conflict. */
  append(stream: string, events: NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult>;
  /** Appends to several streams. Atomic on PostgreSQL; EventStoreDB appends stream by stream. */
  appendMany(appends: StreamAppend[]): Promise<AppendResult[]>;
  /** The stream's events from `fromVersion` (default 0), oldest first; [] for a stream that does not exist. */
  readStream(stream: string, fromVersion?: number): Promise<RecordedEvent[]>;
  /** Up to `limit` events with a position greater than `after`, in log order. */
  readAll(after: bigint, limit: number): Promise<RecordedEvent[]>;
  /** The position of the last event in the log, 0n when empty. */
  headPosition(): Promise<bigint>;
  /**
   * Catches up from `after`, then delivers new events as they are appended, one at a time and in
   * log order; the next event waits until the handler's promise resolves.
   */
  subscribe(options: SubscribeOptions, handler: (event: RecordedEvent) => Promise<void>): Subscription;
  close(): Promise<void>;
}

export class WrongExpectedVersion extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedVersion,
    readonly actual: number | 'no_stream',
  ) {
    super(`stream ${stream}: expected version ${String(expected)}, but it is at ${String(actual)}`);
    this.name = 'WrongExpectedVersion';
  }
}
