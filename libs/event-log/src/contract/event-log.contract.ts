import { randomUUID } from 'node:crypto';
import { waitFor } from '@tsbit/service-kit';
import { WrongExpectedVersion, type EventLog, type NewEvent, type RecordedEvent, type Subscription } from '../port';

/**
 * The behaviour every event-log adapter must have, written once against the port. Each adapter's
 * test file calls `eventLogContract` with a factory of fresh logs.
 *
 * It asks of positions only what the port promises (increasing, and no event ever appears behind
 * a reader that has passed its position), not that they are dense: EventStoreDB's are not. It
 * names its streams with a random prefix, so it also runs against a server that keeps data
 * between runs.
 */
export interface ContractSubject {
  log: EventLog;
  cleanup(): Promise<void>;
}

/** Upper bound of every wait on a condition; the waits themselves end as soon as it holds. */
const WAIT_MS = 10_000;
const POLL_MS = 10;
const CONCURRENT_WRITERS = 20;
const APPENDS_PER_WRITER = 5;
/** More than one page of any adapter's catch-up reads. */
const CATCH_UP_EVENTS = 2_500;

const waitUntil = (what: string, condition: () => boolean | Promise<boolean>): Promise<true> =>
  waitFor(what, async () => (await condition()) || undefined, { timeoutMs: WAIT_MS, intervalMs: POLL_MS });

const event = (type: string, n: number): NewEvent => ({
  type,
  data: { n, text: `event ${n}` },
  metadata: { causedBy: { kind: 'system', name: 'contract' }, correlationId: `c-${n}` },
});

/** Reads the whole log after `after`, page by page. */
async function readAllAfter(log: EventLog, after: bigint, pageSize = 1_000): Promise<RecordedEvent[]> {
  const all: RecordedEvent[] = [];
  let cursor = after;
  for (;;) {
    const page = await log.readAll(cursor, pageSize);
    all.push(...page);
    const last = page[page.length - 1];
    if (!last || page.length < pageSize) return all;
    cursor = last.position;
  }
}

const isIncreasing = (positions: bigint[]): boolean => positions.every((position, index) => index === 0 || position > (positions[index - 1] as bigint));

export function eventLogContract(name: string, makeLog: () => Promise<ContractSubject>): void {
  describe(`event log contract: ${name}`, () => {
    let subject: ContractSubject;
    let log: EventLog;
    const run = randomUUID().slice(0, 8);
    let streamCounter = 0;
    const newStream = (prefix = 'contract'): string => `${prefix}_${run}-${(streamCounter += 1)}`;
    const ours = (recorded: RecordedEvent): boolean => recorded.stream.includes(`_${run}-`);
    const subscriptions: Subscription[] = [];
    /** Subscribes and collects what it delivers; stopped after each test in any case. */
    const collect = (after: bigint, onEvent?: (recorded: RecordedEvent) => Promise<void>) => {
      const events: RecordedEvent[] = [];
      const errors: Error[] = [];
      const subscription = log.subscribe({ after, onError: (error) => errors.push(error) }, async (recorded) => {
        if (!ours(recorded)) return;
        events.push(recorded);
        await onEvent?.(recorded);
      });
      subscriptions.push(subscription);
      return { events, errors, subscription };
    };

    beforeAll(async () => {
      subject = await makeLog();
      log = subject.log;
    });
    afterEach(async () => {
      await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
    });
    afterAll(async () => subject?.cleanup());

    describe('appending and reading a stream', () => {
      it('appends events and reads them back in order, with versions from 0', async () => {
        const stream = newStream();
        const result = await log.append(stream, [event('Happened', 1), event('Happened', 2)], 'no_stream');
        expect(result.nextExpectedVersion).toBe(1);
        const read = await log.readStream(stream);
        expect(read.map((recorded) => [recorded.stream, recorded.version, recorded.type, recorded.data.n])).toEqual([
          [stream, 0, 'Happened', 1],
          [stream, 1, 'Happened', 2],
        ]);
        expect(isIncreasing(read.map((recorded) => recorded.position))).toBe(true);
        expect(result.lastPosition).toBe(read[1]?.position);
        for (const recorded of read) {
          expect(recorded.recordedAt).toBeInstanceOf(Date);
          expect(Number.isNaN(recorded.recordedAt.getTime())).toBe(false);
        }
        const next = await log.append(stream, [event('Happened', 3)], result.nextExpectedVersion);
        expect(next.nextExpectedVersion).toBe(2);
        expect(next.lastPosition > result.lastPosition).toBe(true);
      });

      it('keeps JSON data and metadata as they were given, and metadata defaults to {}', async () => {
        const stream = newStream();
        const data = {
          text: 'ünïcödé ✓ 🚀 "quoted" back\\slash\nnew line',
          int: 42,
          negative: -7,
          float: 3.25,
          yes: true,
          no: false,
          nothing: null,
          empty: {},
          list: [1, 'two', null, { three: [3] }],
          nested: { deeper: { deepest: 'x' } },
        };
        const metadata = { causedBy: { kind: 'user', name: 'alice' }, correlationId: 'corr-1', traceparent: '00-abc-def-01' };
        await log.append(stream, [{ type: 'Rich', data, metadata }, { type: 'Bare', data: {} }], 'no_stream');
        const [rich, bare] = await log.readStream(stream);
        expect(rich?.data).toEqual(data);
        expect(rich?.metadata).toEqual(metadata);
        expect(bare?.data).toEqual({});
        expect(bare?.metadata).toEqual({});
      });

      it('reads a stream from a version, and an unknown stream as empty', async () => {
        const stream = newStream();
        await log.append(stream, [event('A', 1), event('B', 2), event('C', 3)], 'no_stream');
        expect((await log.readStream(stream, 1)).map((recorded) => recorded.type)).toEqual(['B', 'C']);
        expect(await log.readStream(stream, 3)).toEqual([]);
        expect(await log.readStream(newStream('unknown'))).toEqual([]);
      });

      it('refuses bad input with an error naming the field', async () => {
        const stream = newStream();
        await expect(log.append('', [event('A', 1)], 'any')).rejects.toThrow(/stream/);
        await expect(log.append(stream, [{ type: '', data: {} }], 'any')).rejects.toThrow(/events\[0\]\.type/);
        await expect(log.append(stream, [{ type: 'A', data: [] as never }], 'any')).rejects.toThrow(/events\[0\]\.data/);
        await expect(log.append(stream, [event('A', 1)], -1)).rejects.toThrow(/expectedVersion/);
        await expect(log.readAll(0n, 0)).rejects.toThrow(/limit/);
        expect(await log.readStream(stream)).toEqual([]);
      });
    });

    describe('expected versions', () => {
      it('refuses an append whose expected version does not hold, telling the actual version', async () => {
        const stream = newStream();
        await log.append(stream, [event('A', 1)], 'no_stream');
        await expect(log.append(stream, [event('B', 2)], 'no_stream')).rejects.toMatchObject({ name: 'WrongExpectedVersion', stream, expected: 'no_stream', actual: 0 });
        await expect(log.append(stream, [event('B', 2)], 5)).rejects.toMatchObject({ stream, expected: 5, actual: 0 });
        const missing = newStream();
        await expect(log.append(missing, [event('B', 2)], 0)).rejects.toMatchObject({ stream: missing, expected: 0, actual: 'no_stream' });
        const refused = await log.append(stream, [event('B', 2)], 3).catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(WrongExpectedVersion);
        // Nothing of a refused append was written.
        expect(await log.readStream(stream)).toHaveLength(1);
        expect(await log.readStream(missing)).toEqual([]);
      });

      it("appends with 'any' to a new or an existing stream, and with the right version", async () => {
        const stream = newStream();
        expect(await log.append(stream, [event('A', 1)], 'any')).toMatchObject({ nextExpectedVersion: 0 });
        expect(await log.append(stream, [event('B', 2)], 'any')).toMatchObject({ nextExpectedVersion: 1 });
        expect(await log.append(stream, [event('C', 3)], 1)).toMatchObject({ nextExpectedVersion: 2 });
        expect((await log.readStream(stream)).map((recorded) => recorded.version)).toEqual([0, 1, 2]);
      });

      it('lets exactly one of several concurrent appends with the same expected version win', async () => {
        const stream = newStream();
        await log.append(stream, [event('A', 0)], 'no_stream');
        const results = await Promise.allSettled(Array.from({ length: 8 }, (_, n) => log.append(stream, [event('Racing', n), event('Racing', n)], 0)));
        const won = results.filter((result) => result.status === 'fulfilled');
        const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(7);
        for (const reason of lost) expect(reason).toMatchObject({ name: 'WrongExpectedVersion', actual: 2 });
        const read = await log.readStream(stream);
        expect(read.map((recorded) => recorded.version)).toEqual([0, 1, 2]);
        // Both events of the winner, none of anyone else's.
        expect(read[1]?.data.n).toBe(read[2]?.data.n);
      });
    });

    describe('appending to several streams', () => {
      it('appends to each stream, in the order given, and reports each result', async () => {
        const streams = [newStream(), newStream(), newStream()];
        await log.append(streams[1] as string, [event('First', 0)], 'no_stream');
        const results = await log.appendMany([
          { stream: streams[0] as string, events: [event('Batch', 1), event('Batch', 2)], expectedVersion: 'no_stream' },
          { stream: streams[1] as string, events: [event('Batch', 3)], expectedVersion: 0 },
          { stream: streams[2] as string, events: [event('Batch', 4)], expectedVersion: 'any' },
        ]);
        expect(results.map((result) => result.nextExpectedVersion)).toEqual([1, 1, 0]);
        expect(isIncreasing(results.map((result) => result.lastPosition))).toBe(true);
        const read = await Promise.all(streams.map((stream) => log.readStream(stream)));
        expect(read.map((events) => events.map((recorded) => recorded.data.n))).toEqual([[1, 2], [0, 3], [4]]);
        expect(results.map((result) => result.lastPosition)).toEqual(read.map((events) => events[events.length - 1]?.position));
        expect(await log.appendMany([])).toEqual([]);
      });

      it('refuses the same stream twice in one call', async () => {
        const stream = newStream();
        await expect(
          log.appendMany([
            { stream, events: [event('A', 1)], expectedVersion: 'no_stream' },
            { stream, events: [event('B', 2)], expectedVersion: 0 },
          ]),
        ).rejects.toThrow(/appends\[1\]\.stream/);
        expect(await log.readStream(stream)).toEqual([]);
      });

      it('on a conflict, appends nothing if atomic, else the streams before the conflicting one', async () => {
        const [before, existing, after] = [newStream(), newStream(), newStream()];
        await log.append(existing, [event('A', 1)], 'no_stream');
        const failure = await log
          .appendMany([
            { stream: before, events: [event('B', 1)], expectedVersion: 'no_stream' },
            { stream: existing, events: [event('B', 2)], expectedVersion: 'no_stream' },
            { stream: after, events: [event('B', 3)], expectedVersion: 'no_stream' },
          ])
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(WrongExpectedVersion);
        expect(failure).toMatchObject({ stream: existing, expected: 'no_stream', actual: 0 });
        expect(await log.readStream(existing)).toHaveLength(1);
        expect(await log.readStream(after)).toEqual([]);
        expect(await log.readStream(before)).toHaveLength(log.atomicAppendMany ? 0 : 1);
      });
    });

    describe('the whole log', () => {
      it('reads it in log order and in pages from any position', async () => {
        const before = await log.headPosition();
        const [a, b] = [newStream(), newStream()];
        await log.appendMany([
          { stream: a, events: [event('P', 1), event('P', 2)], expectedVersion: 'no_stream' },
          { stream: b, events: [event('P', 3)], expectedVersion: 'no_stream' },
        ]);
        await log.append(a, [event('P', 4), event('P', 5)], 1);
        const whole = (await readAllAfter(log, before)).filter(ours);
        expect(whole.map((recorded) => recorded.data.n)).toEqual([1, 2, 3, 4, 5]);
        expect(isIncreasing(whole.map((recorded) => recorded.position))).toBe(true);
        const paged = (await readAllAfter(log, before, 2)).filter(ours);
        expect(paged).toEqual(whole);
        const fromMiddle = (await log.readAll(whole[1]!.position, 2)).filter(ours);
        expect(fromMiddle.map((recorded) => recorded.data.n)).toEqual([3, 4]);
        const head = await log.headPosition();
        expect(head).toBe(whole[whole.length - 1]?.position);
        expect(await log.readAll(head, 10)).toEqual([]);
      });

      it('never shows a reader a gap that fills in later, while many writers append at once', async () => {
        const before = await log.headPosition();
        const { events: delivered } = collect(before);
        // A reader that pages through the log while the writers run, as a subscriber would.
        const seen: RecordedEvent[] = [];
        let writing = true;
        const reader = (async () => {
          let cursor = before;
          for (;;) {
            const stillWriting = writing;
            const page = await log.readAll(cursor, 50);
            seen.push(...page);
            cursor = page[page.length - 1]?.position ?? cursor;
            if (!stillWriting && page.length < 50) return;
            if (page.length === 0) await new Promise((resolve) => setImmediate(resolve));
          }
        })();
        await Promise.all(
          Array.from({ length: CONCURRENT_WRITERS }, async (_, writer) => {
            const stream = newStream(`writer${writer}`);
            for (let n = 0; n < APPENDS_PER_WRITER; n += 1) await log.append(stream, [event('Written', n)], n === 0 ? 'no_stream' : n - 1);
          }),
        );
        writing = false;
        await reader;
        const total = CONCURRENT_WRITERS * APPENDS_PER_WRITER;
        const final = (await readAllAfter(log, before)).filter(ours);
        expect(final).toHaveLength(total);
        const positions = final.map((recorded) => recorded.position);
        expect(isIncreasing(positions)).toBe(true);
        // Everything the reader saw, in the order it saw it, is exactly the final log: nothing
        // appeared behind its cursor after it had passed.
        expect(seen.filter(ours).map((recorded) => recorded.position)).toEqual(positions);
        await waitUntil(`${total} events delivered`, () => delivered.length >= total);
        expect(delivered.map((recorded) => recorded.position)).toEqual(positions);
      });
    });

    describe('subscriptions', () => {
      it('catches up over many pages, then delivers live events, in order and one at a time', async () => {
        const before = await log.headPosition();
        const stream = newStream();
        await log.append(stream, Array.from({ length: CATCH_UP_EVENTS }, (_, n) => event('Past', n)), 'no_stream');
        let inFlight = 0;
        let mostInFlight = 0;
        const { events, errors } = collect(before, async () => {
          inFlight += 1;
          mostInFlight = Math.max(mostInFlight, inFlight);
          await new Promise((resolve) => setImmediate(resolve));
          inFlight -= 1;
        });
        await waitUntil('the catch-up', () => events.length >= CATCH_UP_EVENTS);
        await log.append(stream, [event('Live', CATCH_UP_EVENTS), event('Live', CATCH_UP_EVENTS + 1)], CATCH_UP_EVENTS - 1);
        await waitUntil('the live events', () => events.length >= CATCH_UP_EVENTS + 2);
        expect(events.map((recorded) => recorded.version)).toEqual(Array.from({ length: CATCH_UP_EVENTS + 2 }, (_, n) => n));
        expect(isIncreasing(events.map((recorded) => recorded.position))).toBe(true);
        expect(events[CATCH_UP_EVENTS]?.type).toBe('Live');
        expect(mostInFlight).toBe(1);
        expect(errors).toEqual([]);
      });

      it('starts after a given position in the middle of the log', async () => {
        const stream = newStream();
        await log.append(stream, [event('Old', 1), event('Old', 2), event('Old', 3)], 'no_stream');
        const [first] = await log.readStream(stream);
        const { events } = collect(first!.position);
        await log.append(stream, [event('New', 4)], 2);
        await waitUntil('three events', () => events.length >= 3);
        expect(events.map((recorded) => recorded.data.n)).toEqual([2, 3, 4]);
      });

      it('stop waits for the handler in flight, and nothing is delivered after it', async () => {
        const stream = newStream();
        const head = await log.headPosition();
        const order: string[] = [];
        let release: () => void = () => undefined;
        const released = new Promise<void>((resolve) => (release = resolve));
        const { events, subscription } = collect(head, async (recorded) => {
          order.push(`handling ${recorded.type}`);
          await released;
          order.push(`handled ${recorded.type}`);
        });
        await log.append(stream, [event('Before', 1), event('Queued', 2)], 'no_stream');
        await waitUntil('the first event in the handler', () => order.length >= 1);
        const stopped = subscription.stop().then(() => order.push('stopped'));
        // Give stop() every chance to resolve early: it must not.
        for (let turn = 0; turn < 10; turn += 1) await new Promise((resolve) => setImmediate(resolve));
        expect(order).toEqual(['handling Before']);
        release();
        await stopped;
        expect(order).toEqual(['handling Before', 'handled Before', 'stopped']);
        await log.append(stream, [event('After', 3)], 1);
        // A second subscriber sees the last event arrive: by then the stopped one would have too.
        const witness = collect(head);
        await waitUntil('the witness', () => witness.events.length >= 3);
        expect(events.map((recorded) => recorded.type)).toEqual(['Before']);
      });

      it('stops and reports the error when the handler throws', async () => {
        const stream = newStream();
        const head = await log.headPosition();
        const failure = new Error('handler broke');
        const { events, errors } = collect(head, async (recorded) => {
          if (recorded.type === 'Bad') throw failure;
        });
        await log.append(stream, [event('Good', 1), event('Bad', 2), event('Unseen', 3)], 'no_stream');
        await waitUntil('the error', () => errors.length >= 1);
        const witness = collect(head);
        await waitUntil('the witness', () => witness.events.length >= 3);
        expect(errors).toEqual([failure]);
        expect(events.map((recorded) => recorded.type)).toEqual(['Good', 'Bad']);
      });
    });
  });
}
