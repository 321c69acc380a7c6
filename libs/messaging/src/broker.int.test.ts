import { randomBytes } from 'node:crypto';
import amqplib from 'amqplib';
import { waitFor } from '@tsbit/service-kit';
import { Broker, type IncomingMessage } from './broker';
import { PermanentFailure } from './errors';
import { deleteTopology } from './testing';

const URL = 'amqp://guest:guest@127.0.0.1:5672';

describe('the broker, against a real RabbitMQ', () => {
  const prefix = `test-${randomBytes(4).toString('hex')}`;
  const queues: string[] = [];
  let broker: Broker;

  beforeAll(async () => {
    broker = await Broker.create({ url: URL, prefix, name: `broker-test-${prefix}` });
  });
  afterAll(async () => {
    await broker.close();
    await deleteTopology(URL, prefix, queues);
  });

  const queue = (name: string): string => {
    const full = `${prefix}.${name}`;
    queues.push(full);
    return full;
  };

  const deadLetters = async (count: number): Promise<amqplib.GetMessage[]> => {
    const connection = await amqplib.connect(URL);
    const channel = await connection.createChannel();
    const found: amqplib.GetMessage[] = [];
    await waitFor(`${count} dead letters`, async () => {
      const message = await channel.get(broker.names.deadLetterQueue, { noAck: true });
      if (message) found.push(message);
      return found.length >= count;
    });
    await connection.close();
    return found;
  };

  it('delivers a confirmed publish to a bound queue with its id and routing key', async () => {
    const received: IncomingMessage[] = [];
    const consumer = await broker.consume({
      queue: queue('roundtrip'),
      bindings: [{ exchange: broker.names.events, routingKey: 'job.#' }],
      prefetch: 5,
      handler: async (message) => {
        received.push(message);
      },
    });
    await broker.publish(broker.names.events, 'job.JobSubmitted', { hello: 'world' }, { messageId: 'job-1:0' });
    await waitFor('the message', () => received.length === 1);
    expect(received[0]).toMatchObject({ body: { hello: 'world' }, messageId: 'job-1:0', routingKey: 'job.JobSubmitted', attempt: 1 });
    await consumer.cancel();
  });

  it('never runs more handlers at once than the prefetch', async () => {
    let running = 0;
    let most = 0;
    let done = 0;
    const consumer = await broker.consume({
      queue: queue('prefetch'),
      bindings: [{ exchange: broker.names.builds, routingKey: 'deb.bookworm.amd64' }],
      prefetch: 2,
      handler: async () => {
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 20));
        running -= 1;
        done += 1;
      },
    });
    await Promise.all(Array.from({ length: 10 }, (_, n) => broker.publish(broker.names.builds, 'deb.bookworm.amd64', { n }, { messageId: `m${n}` })));
    await waitFor('all ten', () => done === 10);
    expect(most).toBe(2);
    await consumer.cancel();
  });

  it('retries a transient failure with back-off until it succeeds', async () => {
    const attempts: number[] = [];
    const consumer = await broker.consume({
      queue: queue('retry'),
      bindings: [{ exchange: broker.names.events, routingKey: 'retry.#' }],
      prefetch: 1,
      retry: { delaysMs: [50, 100] },
      handler: async (message) => {
        attempts.push(message.attempt);
        if (message.attempt < 3) throw new Error('database busy');
      },
    });
    await broker.publish(broker.names.events, 'retry.Something', { x: 1 }, { messageId: 'r1' });
    await waitFor('three attempts', () => attempts.length === 3);
    expect(attempts).toEqual([1, 2, 3]);
    await consumer.cancel();
  });

  it('dead-letters a permanent failure, a body that is not JSON, and exhausted retries, with the reason', async () => {
    const name = queue('dead');
    const consumer = await broker.consume({
      queue: name,
      bindings: [{ exchange: broker.names.events, routingKey: 'dead.#' }],
      prefetch: 1,
      retry: { delaysMs: [20] },
      handler: async (message) => {
        const body = message.body as { kind: string };
        if (body.kind === 'permanent') throw new PermanentFailure('job 7 does not exist');
        throw new Error('still broken');
      },
    });
    await broker.publish(broker.names.events, 'dead.A', { kind: 'permanent' }, { messageId: 'd1' });
    const raw = await amqplib.connect(URL);
    const channel = await raw.createConfirmChannel();
    channel.publish(broker.names.events, 'dead.B', Buffer.from('{not json'), { messageId: 'd2' });
    await channel.waitForConfirms();
    await raw.close();
    await broker.publish(broker.names.events, 'dead.C', { kind: 'transient' }, { messageId: 'd3' });

    const letters = await deadLetters(3);
    const reasons = Object.fromEntries(letters.map((letter) => [letter.properties.messageId, letter.properties.headers?.['x-tsbit-reason']]));
    expect(reasons).toEqual({ d1: 'job 7 does not exist', d2: 'the body is not JSON', d3: 'still broken' });
    expect(letters.every((letter) => letter.properties.headers?.['x-tsbit-queue'] === name)).toBe(true);
    await consumer.cancel();
  });

  it('waits for the handlers in flight when a consumer is cancelled', async () => {
    let finished = false;
    let started = false;
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const consumer = await broker.consume({
      queue: queue('graceful'),
      bindings: [{ exchange: broker.names.events, routingKey: 'graceful.#' }],
      prefetch: 1,
      handler: async () => {
        started = true;
        await held;
        finished = true;
      },
    });
    await broker.publish(broker.names.events, 'graceful.X', {}, { messageId: 'g1' });
    await waitFor('the handler to start', () => started);
    let cancelDone = false;
    const cancelled = consumer.cancel().then(() => {
      cancelDone = true;
      return finished;
    });
    // A confirmed publish is a round trip through the broker: cancel has had its chance to return.
    await broker.publish(broker.names.events, 'other.Y', {}, { messageId: 'g2' });
    expect(cancelDone).toBe(false);
    release();
    // cancel() resolves only after the handler in flight has finished.
    expect(await cancelled).toBe(true);
  });
});
