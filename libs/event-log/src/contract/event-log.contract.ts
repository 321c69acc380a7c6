import { WrongExpectedVersion, type EventLog, type NewEvent, type RecordedEvent } from '../port';

export interface ContractSubject {
  log: EventLog & { readonly atomicAppendMany?: boolean };
  cleanup(): Promise<void>;
}

const WAIT_MS = 10_000;

const event = (type: string, n: number): NewEvent => ({
  type,
  data: { n, text: `event ${n}`, nested: { list: [1, 'two', null] } },
  metadata: { causedBy: { kind: 'system', name: 'contract' } },
});

let streamCounter = 0;
const newStream = (prefix = 'contract'): string => `${prefix}-${process.pid}-${Date.now()}-${(streamCounter += 1)}`;

async function collect(log: EventLog, after: bigint, count: number): Promise<{ events: RecordedEvent[]; stop(): Promise<void> }> {
  const events: RecordedEvent[] = [];
  let done: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => (done = resolve));
  const subscription = log.subscribe({ after }, async (recorded) => {
    events.push(recorded);
    if (events.length >= count) done();
  });
  const timeout = new Promise<void>((_, reject) => setTimeout(() => reject(new Error(`only ${events.length} of ${count} events arrived`)), WAIT_MS).unref());
  await Promise.race([enough, timeout]);
  return { events, stop: () => subscription.stop() };
}

/**
 * The behaviour every event-log adapter must have. Written once against the port; each adapter's
 * test file runs it with a fresh log.
 */
export function eventLogContract(name: string, makeSubject: () => Promise<ContractSubject>): void {
  describe(`event log contract: ${name}`, () => {
    let subject: ContractSubject;
    let log: ContractSubject['log'];

    beforeAll(async () => {
      subject = await makeSubject();
      log = subject.log;
    });
    afterAll(async () => subject?.cleanup());

    it('appends events and reads them back in order, versions from 0', async () => {
      const stream = newStream();
      const result = await log.append(stream, [event('Happened', 1), event('Happened', 2)], 'no_stream');
      expect(result.nextExpectedVersion).toBe(1);
      const read = await log.readStream(stream);
      expect(read.map((recorded) => [recorded.version, recorded.data.n])).toEqual([
        [0, 1],
        [1, 2],
      ]);
      expect(read[0]?.metadata).toEqual({ causedBy: { kind: 'system', name: 'contract' } });
      expect(read[0]?.data).toEqual(event('Happened', 1).data);
      expect(read[0]?.recordedAt).toBeInstanceOf(Date);
      expect(result.lastPosition).toBe(read[1]?.position);
    });

    it('reads a stream from a version, and an unknown stream as empty', async () => {
      const stream = newStream();
      await log.append(stream, [event('A', 1), event('B', 2), event('C', 3)], 'no_stream');
      expect((await log.readStream(stream, 1)).map((recorded) => recorded.type)).toEqual(['B', 'C']);
      expect(await log.readStream(newStream('unknown'))).toEqual([]);
    });

    it('refuses an append whose expected version is stale, telling the actual one', async () => {
      const stream = newStream();
      await log.append(stream, [event('A', 1)], 'no_stream');
      await expect(log.append(stream, [event('B', 2)], 'no_stream')).rejects.toMatchObject({ stream, actual: 0 });
      await expect(log.append(stream, [event('B', 2)], 5)).rejects.toBeInstanceOf(WrongExpectedVersion);
      await expect(log.append(newStream(), [event('B', 2)], 0)).rejects.toMatchObject({ actual: 'no_stream' });
      expect(await log.append(stream, [event('B', 2)], 0)).toMatchObject({ nextExpectedVersion: 1 });
      expect(await log.append(stream, [event('C', 3)], 'any')).toMatchObject({ nextExpectedVersion: 2 });
      expect(await log.readStream(stream)).toHaveLength(3);
    });

    it('lets exactly one of several concurrent appends with the same expected version win', async () => {
      const stream = newStream();
      await log.append(stream, [event('A', 0)], 'no_stream');
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, n) => log.append(stream, [event('Racing', n)], 0)));
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((result) => result.status === 'rejected').every((result) => (result as PromiseRejectedResult).reason instanceof WrongExpectedVersion)).toBe(true);
      expect(await log.readStream(stream)).toHaveLength(2);
    });

    it('appends to several streams at once', async () => {
      const streams = [newStream(), newStream(), newStream()];
      const results = await log.appendMany(streams.map((stream, n) => ({ stream, events: [event('Batch', n)], expectedVersion: 'no_stream' })));
      expect(results.map((result) => result.nextExpectedVersion)).toEqual([0, 0, 0]);
      for (const stream of streams) expect(await log.readStream(stream)).toHaveLength(1);
    });

    it('appends to several streams all or nothing, when the adapter promises atomicity', async () => {
      if (!log.atomicAppendMany) {
        expect(log.atomicAppendMany).toBeFalsy();
        return;
      }
      const existing = newStream();
      await log.append(existing, [event('A', 1)], 'no_stream');
      const fresh = newStream();
      await expect(
        log.appendMany([
          { stream: fresh, events: [event('B', 1)], expectedVersion: 'no_stream' },
          { stream: existing, events: [event('B', 2)], expectedVersion: 'no_stream' },
        ]),
      ).rejects.toBeInstanceOf(WrongExpectedVersion);
      expect(await log.readStream(fresh)).toEqual([]);
    });

    it('numbers the whole log without gaps, even while many writers append concurrently', async () => {
      const before = await log.headPosition();
      const seen: bigint[] = [];
      const reader = log.subscribe({ after: before }, async (recorded) => {
        seen.push(recorded.position);
      });
      await Promise.all(
        Array.from({ length: 20 }, async (_, writer) => {
          const stream = newStream(`writer${writer}`);
          for (let n = 0; n < 5; n += 1) await log.append(stream, [event('Written', n)], n === 0 ? 'no_stream' : n - 1);
        }),
      );
      const head = await log.headPosition();
      expect(head - before).toBe(100n);
      const deadline = Date.now() + WAIT_MS;
      while (seen.length < 100 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      await reader.stop();
      const all = await log.readAll(before, 1000);
      const positions = all.map((recorded) => recorded.position);
      expect(positions).toEqual(Array.from({ length: 100 }, (_, n) => before + BigInt(n + 1)));
      expect(seen).toEqual(positions);
    });

    it('reads the whole log in pages from any position', async () => {
      const before = await log.headPosition();
      const stream = newStream();
      await log.append(stream, [1, 2, 3, 4, 5].map((n) => event('Paged', n)), 'no_stream');
      const first = await log.readAll(before, 2);
      const second = await log.readAll(first[1]!.position, 2);
      expect([...first, ...second].map((recorded) => recorded.data.n)).toEqual([1, 2, 3, 4]);
    });

    it('delivers past events, then live ones, in order, from a middle position', async () => {
      const stream = newStream();
      const first = await log.append(stream, [event('Old', 1), event('Old', 2)], 'no_stream');
      const subscription = collect(log, first.lastPosition - 1n, 3);
      await log.append(stream, [event('New', 3), event('New', 4)], 1);
      const { events, stop } = await subscription;
      await stop();
      expect(events.slice(0, 3).map((recorded) => recorded.data.n)).toEqual([2, 3, 4]);
    });

    it('delivers nothing more after stop', async () => {
      const stream = newStream();
      const head = await log.headPosition();
      const events: RecordedEvent[] = [];
      const subscription = log.subscribe({ after: head }, async (recorded) => {
        events.push(recorded);
      });
      await log.append(stream, [event('Before', 1)], 'no_stream');
      const deadline = Date.now() + WAIT_MS;
      while (events.length < 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      await subscription.stop();
      await log.append(stream, [event('After', 2)], 0);
      // A live subscriber sees the event arrive: by then the stopped one would have seen it too.
      const witness = await collect(log, head, 2);
      await witness.stop();
      expect(witness.events.map((recorded) => recorded.type)).toEqual(['Before', 'After']);
      expect(events.map((recorded) => recorded.type)).toEqual(['Before']);
    });
  });
}
