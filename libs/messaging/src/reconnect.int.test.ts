import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { waitFor } from '@tsbit/service-kit';
import { Broker } from './broker';
import { deleteTopology } from './testing';

const URL = 'amqp://guest:guest@127.0.0.1:5672';

/** Closes, from the broker's side, every connection with this client-provided name: what a broker restart does to a client. */
function dropConnection(name: string): number {
  const listing = execFileSync('rabbitmqctl', ['--quiet', 'list_connections', 'pid', 'client_properties'], { encoding: 'utf8' });
  const pids = listing
    .split('\n')
    .filter((line) => line.includes(`"connection_name","${name}"`) || line.includes(`<<"connection_name">>,longstr,<<"${name}">>`))
    .map((line) => line.split('\t')[0] as string);
  for (const pid of pids) execFileSync('rabbitmqctl', ['--quiet', 'close_connection', pid, 'test: broker went away']);
  return pids.length;
}

describe('the broker after its connection drops', () => {
  const prefix = `reconnect-${randomBytes(4).toString('hex')}`;
  const name = `reconnect-test-${prefix}`;
  const queue = `${prefix}.survivor`;
  let broker: Broker;

  beforeAll(async () => {
    broker = await Broker.create({ url: URL, prefix, name });
  });
  afterAll(async () => {
    await broker.close();
    await deleteTopology(URL, prefix, [queue]);
  });

  it('reconnects, redeclares its topology and goes on publishing and consuming, losing nothing', async () => {
    const received: number[] = [];
    await broker.consume({
      queue,
      bindings: [{ exchange: broker.names.events, routingKey: 'job.#' }],
      prefetch: 10,
      handler: async (message) => {
        received.push((message.body as { n: number }).n);
      },
    });
    await broker.publish(broker.names.events, 'job.Before', { n: 1 }, { messageId: 'n1' });
    await waitFor('the first message', () => received.includes(1));

    expect(dropConnection(name)).toBeGreaterThan(0);
    await waitFor('the connection to drop', () => !broker.isConnected(), { timeoutMs: 5000 });
    // Published while disconnected: buffered, then confirmed once the connection is back.
    await broker.publish(broker.names.events, 'job.After', { n: 2 }, { messageId: 'n2' });
    await waitFor('the consumer to get the message sent across the outage', () => received.includes(2), { timeoutMs: 15_000 });
    expect(broker.isConnected()).toBe(true);
    expect(received.filter((n) => n === 2)).toEqual([2]);
  });
});
