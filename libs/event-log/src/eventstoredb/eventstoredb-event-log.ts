import {
  ANY,
  EventStoreDBClient,
  NO_STREAM,
  START,
  jsonEvent,
  excludeSystemEvents,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AppendExpectedRevision,
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

/** Maps our expected version onto EventStoreDB's: a number is the revision of the last event. */
export function toExpectedRevision(expected: ExpectedVersion): AppendExpectedRevision {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  return BigInt(expected);
}

/** The global position of an event in EventStoreDB is its commit position. */
export function toRecorded(resolved: ResolvedEvent | AllStreamResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || !event.isJson || event.streamId.startsWith('$')) return undefined;
  return {
    stream: event.streamId,
    version: Number(event.revision),
    position: event.position?.commit ?? resolved.commitPosition ?? 0n,
    type: event.type,
    data: event.data as JsonObject,
    metadata: (event.metadata ?? {}) as JsonObject,
    recordedAt: event.created instanceof Date ? event.created : new Date(Number(event.created) / 10_000 - 62_135_596_800_000),
  };
}

/**
 * The event log on EventStoreDB, for clusters. Streams map one to one. `appendMany` appends
 * stream by stream and is not atomic: EventStoreDB has no multi-stream transaction.
 */
export class EventStoreDbEventLog implements EventLog {
  readonly atomicAppendMany = false;

  private constructor(private readonly client: EventStoreDBClient) {}

  static async create(options: { connectionString: string }): Promise<EventStoreDbEventLog> {
    const client = EventStoreDBClient.connectionString(options.connectionString);
    return new EventStoreDbEventLog(client);
  }

  async append(stream: string, events: NewEvent[], expectedVersion: ExpectedVersion): Promise<AppendResult> {
    try {
      const result = await this.client.appendToStream(
        stream,
        events.map((event) => jsonEvent({ type: event.type, data: event.data, metadata: event.metadata ?? {} })),
        { expectedRevision: toExpectedRevision(expectedVersion) },
      );
      return { nextExpectedVersion: Number(result.nextExpectedRevision), lastPosition: result.position?.commit ?? 0n };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion;
        throw new WrongExpectedVersion(stream, expectedVersion, typeof actual === 'bigint' ? Number(actual) : 'no_stream');
      }
      throw error;
    }
  }

  async appendMany(appends: StreamAppend[]): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (const append of appends) results.push(await this.append(append.stream, append.events, append.expectedVersion));
    return results;
  }

  async readStream(stream: string, fromVersion = 0): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, { fromRevision: BigInt(fromVersion) })) {
        const recorded = toRecorded(resolved);
        if (recorded) events.push(recorded);
      }
    } catch (error) {
      if ((error as { type?: string }).type === 'stream-not-found') return [];
      throw error;
    }
    return events;
  }

  async readAll(after: bigint, limit: number): Promise<RecordedEvent[]> {
    const events: RecordedEvent[] = [];
    const fromPosition = after === 0n ? START : { commit: after, prepare: after };
    for await (const resolved of this.client.readAll({ fromPosition, maxCount: limit + 1 })) {
      const recorded = toRecorded(resolved);
      if (recorded && recorded.position > after) events.push(recorded);
      if (events.length >= limit) break;
    }
    return events;
  }

  async headPosition(): Promise<bigint> {
    for await (const resolved of this.client.readAll({ direction: 'backwards', fromPosition: 'end', maxCount: 50 })) {
      const recorded = toRecorded(resolved);
      if (recorded) return recorded.position;
    }
    return 0n;
  }

  subscribe(options: SubscribeOptions, handler: (event: RecordedEvent) => Promise<void>): Subscription {
    const subscription = this.client.subscribeToAll({
      fromPosition: options.after === 0n ? START : { commit: options.after, prepare: options.after },
      filter: excludeSystemEvents(),
    });
    const running = (async () => {
      try {
        for await (const resolved of subscription) {
          const recorded = toRecorded(resolved);
          if (recorded && recorded.position > options.after) await handler(recorded);
        }
      } catch (error) {
        options.onError?.(error instanceof Error ? error : new Error(String(error)));
      }
    })();
    return {
      stop: async () => {
        await subscription.unsubscribe();
        await running;
      },
    };
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}
