import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type { JsonObject } from '@tsbit/contracts';
import {
  WrongExpectedVersion,
  type AppendResult,
  type EventLog,
  type ExpectedVersion,
  type NewEvent,
  type RecordedEvent,
  type StreamAppend,
  type SubscribeOptions,
  type Subscription,
} from '../port';
import { checkAppend, checkAppends, checkFromVersion, checkLimit, checkPosition, checkStream } from '../validation';

/** $all is read in chunks this big when system events have to be skipped client-side. */
const READ_ALL_CHUNK = 500;
/** A dropped subscription is resumed from its last delivered event with back-off; this many failures in a row end it. */
const RESUBSCRIBE_MIN_MS = 250;
const RESUBSCRIBE_MAX_MS = 5_000;
const MAX_SUBSCRIBE_FAILURES = 12;

/** Maps our expected version onto EventStoreDB's: a number is the revision of the stream's last event. */
export function toExpectedRevision(expected: ExpectedVersion): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  return BigInt(expected);
}

/**
 * Where a read or subscription of $all starts for events after `after`. Our positions are commit
 * positions; for events appended through gRPC (no explicit transactions) the prepare position of
 * an event equals its commit position, so the pair names that event exactly.
 */
export function toReadPosition(after: bigint): ReadPosition {
  return after <= 0n ? START : { commit: after, prepare: after };
}

/** EventStoreDB's conflict, in the port's terms. */
export function toWrongExpectedVersion(stream: string, expected: ExpectedVersion, error: WrongExpectedVersionError): WrongExpectedVersion {
  const actual = error.actualVersion;
  return new WrongExpectedVersion(stream, expected, typeof actual === 'bigint' ? Number(actual) : 'no_stream');
}

const isSystem = (streamId: string, type: string): boolean => streamId.startsWith('$') || type.startsWith('$');

/**
 * A recorded event as the port describes it, or undefined for what the log does not hold for us:
 * system streams and events, links, and non-JSON events written by other tools. The global
 * position is the commit position (servers before 22.6 do not return it on stream reads: 0n).
 */
export function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || !event.isJson || isSystem(event.streamId, event.type)) return undefined;
  return {
    stream: event.streamId,
    version: Number(event.revision),
    position: event.position?.commit ?? resolved.commitPosition ?? 0n,
    type: event.type,
    data: event.data as JsonObject,
    metadata: (event.metadata ?? {}) as JsonObject,
    recordedAt: event.created,
  };
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * The event log on EventStoreDB, for clusters. Streams map one to one; a stream's version is its
 * revision, the global position an event's commit position (increasing, not dense). Needs a server
 * of version 22.6 or later (positions on stream reads).
 *
 * `appendMany` is NOT atomic: EventStoreDB has no multi-stream transaction, so it appends stream by
 * stream, in the order given, and stops at the first failure; the streams before it stay appended.
 */
export class EventStoreDbEventLog implements EventLog {
  readonly atomicAppendMany = false;
  private readonly subscriptions = new Set<Subscription>();

  private constructor(private readonly client: EventStoreDBClient) {}

  /** Connects lazily: a wrong address shows at the first call, a malformed one here. */
  static async create(options: { connectionString: string }): Promise<EventStoreDbEventLog> {
    if (typeof options.connectionString !== 'string' || options.connectionString === '') throw new TypeError('connectionString must be a non-empty string');
    return new EventStoreDbEventLog(EventStoreDBClient.connectionString(options.connectionString));
  }

  async append(stream: string, events: NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    checkAppend(stream, events, expectedVersion);
    return this.appendChecked(stream, events, expectedVersion);
  }

  async appendMany(appends: StreamAppend[]): Promise<AppendResult[]> {
    checkAppends(appends);
    const results: AppendResult[] = [];
    for (const append of appends) results.push(await this.appendChecked(append.stream, append.events, append.expectedVersion));
    return results;
  }

  private async appendChecked(stream: string, events: NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    try {
      const result = await this.client.appendToStream(
        stream,
        events.map((event) => jsonEvent({ type: event.type, data: event.data, metadata: event.metadata ?? {} })),
        { expectedRevision: toExpectedRevision(expectedVersion) },
      );
      return { nextExpectedVersion: Number(result.nextExpectedRevision), lastPosition: result.position?.commit ?? 0n };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) throw toWrongExpectedVersion(stream, expectedVersion, error);
      throw error;
    }
  }

  async readStream(stream: string, fromVersion = 0): Promise<RecordedEvent[]> {
    checkStream(stream);
    checkFromVersion(fromVersion);
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, { fromRevision: BigInt(fromVersion) })) {
        const recorded = toRecorded(resolved);
        if (recorded) events.push(recorded);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async readAll(after: bigint, limit: number): Promise<RecordedEvent[]> {
    checkPosition(after, 'after');
    checkLimit(limit);
    // $all cannot be filtered server-side on a read, so system events are skipped here, reading
    // on until the page is full or the log ends: a short page must mean the end of the log.
    const events: RecordedEvent[] = [];
    let from = toReadPosition(after);
    // -1n: from the start, so that an event at commit position 0 is not taken for the one at `after`.
    let cursor = after === 0n ? -1n : after;
    for (;;) {
      let read = 0;
      let last: Position | undefined;
      for await (const resolved of this.client.readAll({ fromPosition: from, maxCount: READ_ALL_CHUNK })) {
        read += 1;
        last = resolved.event?.position ?? last;
        // The start position is inclusive on a read: the event at `after` (or at the end of the
        // previous chunk) comes back first.
        const commit = resolved.event?.position.commit;
        if (commit === undefined || commit <= cursor) continue;
        cursor = commit;
        const recorded = toRecorded(resolved);
        if (recorded) events.push(recorded);
        if (events.length >= limit) return events;
      }
      if (read < READ_ALL_CHUNK || last === undefined) return events;
      from = last;
    }
  }

  async headPosition(): Promise<bigint> {
    let from: ReadPosition = END;
    for (;;) {
      let read = 0;
      let last: Position | undefined;
      for await (const resolved of this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: READ_ALL_CHUNK })) {
        read += 1;
        last = resolved.event?.position ?? last;
        const recorded = toRecorded(resolved);
        if (recorded) return recorded.position;
      }
      if (read < READ_ALL_CHUNK || last === undefined) return 0n;
      from = last;
    }
  }

  subscribe(options: SubscribeOptions, handler: (event: RecordedEvent) => Promise<void>): Subscription {
    checkPosition(options.after, 'after');
    let position = options.after === 0n ? -1n : options.after;
    let stopped = false;
    let current: { unsubscribe(): Promise<void> } | undefined;
    let wake: (() => void) | undefined;
    let handlerFailed = false;

    const pause = (ms: number): Promise<void> =>
      new Promise<void>((resolve) => {
        if (stopped) return resolve();
        const timer = setTimeout(() => {
          wake = undefined;
          resolve();
        }, ms);
        wake = () => {
          clearTimeout(timer);
          wake = undefined;
          resolve();
        };
      });

    const follow = async (): Promise<void> => {
      let failures = 0;
      while (!stopped) {
        const stream = this.client.subscribeToAll({ fromPosition: toReadPosition(position), filter: excludeSystemEvents() });
        current = stream;
        try {
          for await (const resolved of stream) {
            if (stopped) break;
            const recorded = toRecorded(resolved);
            if (!recorded || recorded.position <= position) continue;
            try {
              await handler(recorded);
            } catch (error) {
              handlerFailed = true;
              throw error;
            }
            position = recorded.position;
            failures = 0;
          }
          if (!stopped) throw new Error('the EventStoreDB subscription ended');
        } catch (error) {
          if (handlerFailed || stopped) throw error;
          // The server went away or dropped us: resume after the last event delivered.
          failures += 1;
          if (failures >= MAX_SUBSCRIBE_FAILURES) throw error;
          await stream.unsubscribe().catch(() => undefined);
          await pause(Math.min(RESUBSCRIBE_MIN_MS * 2 ** (failures - 1), RESUBSCRIBE_MAX_MS));
        } finally {
          await stream.unsubscribe().catch(() => undefined);
        }
      }
    };

    const finish = async (): Promise<void> => {
      try {
        await follow();
      } catch (error) {
        if (handlerFailed || !stopped) {
          try {
            options.onError?.(asError(error));
          } catch {
            // The subscriber's error callback failing must not leave stop() hanging or rejecting.
          }
        }
      } finally {
        stopped = true;
      }
    };
    const running = finish().finally(() => this.subscriptions.delete(subscription));

    const subscription: Subscription = {
      stop: async () => {
        stopped = true;
        wake?.();
        await current?.unsubscribe().catch(() => undefined);
        await running;
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.client.dispose();
  }
}
