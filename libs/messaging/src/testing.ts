import amqplib from 'amqplib';

/** Deletes every exchange and queue a test made under its prefix (tests only). */
export async function deleteTopology(url: string, prefix: string, queues: string[]): Promise<void> {
  const connection = await amqplib.connect(url);
  const channel = await connection.createChannel();
  for (const queue of queues) {
    await channel.deleteQueue(queue);
    await channel.deleteQueue(`${queue}.retry`);
  }
  await channel.deleteQueue(`${prefix}.dead-letters`);
  for (const exchange of ['events', 'builds', 'reports', 'control', 'dead-letter']) await channel.deleteExchange(`${prefix}.${exchange}`);
  await connection.close();
}

/**
 * Removes the named queues and exchanges a test declared, whether or not each exists, so that
 * test runs leave RabbitMQ as they found it (tests only).
 */
export async function deleteAmqpObjects(url: string, objects: { queues: string[]; exchanges: string[] }): Promise<void> {
  const connection = await amqplib.connect(url);
  try {
    for (const [kind, names] of [['queue', objects.queues], ['exchange', objects.exchanges]] as const) {
      for (const name of names) {
        // A channel each: deleting what does not exist closes the channel on some broker versions.
        const channel = await connection.createChannel();
        channel.on('error', () => undefined);
        try {
          if (kind === 'queue') await channel.deleteQueue(name);
          else await channel.deleteExchange(name);
          await channel.close();
        } catch {
          // Not there: nothing to remove.
        }
      }
    }
  } finally {
    await connection.close();
  }
}
