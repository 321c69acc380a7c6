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
