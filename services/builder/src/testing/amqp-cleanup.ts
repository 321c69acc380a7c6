import amqp from 'amqplib';

/** Removes what a test declared under its own prefix, so that test runs leave RabbitMQ as they found it. */
export async function deleteAmqpObjects(url: string, objects: { queues: string[]; exchanges: string[] }): Promise<void> {
  const connection = await amqp.connect(url);
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
