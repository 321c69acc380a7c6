import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { Logger } from 'pino';
import { PermanentFailure } from './errors';
import { topologyNames, type TopologyNames } from './topology';

const DEFAULT_PUBLISH_TIMEOUT_MS = 30_000;
const DEFAULT_RETRY_DELAYS_MS = [200, 1000, 5000, 15000];
const HEARTBEAT_SECONDS = 5;
const RECONNECT_SECONDS = 1;

export interface PublishOptions {
  messageId: string;
  priority?: number;
  headers?: Record<string, unknown>;
  persistent?: boolean;
  correlationId?: string;
  timeoutMs?: number;
}

export interface IncomingMessage {
  body: unknown;
  routingKey: string;
  messageId: string | undefined;
  headers: Record<string, unknown>;
  redelivered: boolean;
  /** 1 on first delivery; counts retries through the retry queue. */
  attempt: number;
}

export interface ConsumeOptions {
  queue: string;
  bindings?: { exchange: string; routingKey: string }[];
  queueOptions?: Options.AssertQueue;
  prefetch: number;
  handler: (message: IncomingMessage) => Promise<void>;
  /** Back-off delays of the retries; `false` for none (a failure is dead-lettered at once). */
  retry?: { delaysMs: number[] } | false;
}

export interface Consumer {
  /** Stops deliveries, then waits for the handlers in flight. */
  cancel(): Promise<void>;
}

type Silent = Pick<Logger, 'info' | 'warn' | 'error'>;
const silent: Silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * RabbitMQ through amqp-connection-manager: one connection that comes back after a broker
 * restart, channels whose setup redeclares their part of the topology on every reconnect,
 * publishing that resolves only on the broker's confirm, and consumers with manual acks, a
 * prefetch, retries with back-off and dead-lettering.
 *
 * Delivery is at least once: a message whose handler was running when the connection dropped is
 * delivered again, so handlers must be idempotent.
 */
export class Broker {
  readonly names: TopologyNames;
  private readonly consumers = new Set<Consumer>();

  private constructor(
    private readonly connection: AmqpConnectionManager,
    private readonly publisher: ChannelWrapper,
    prefix: string,
    private readonly logger: Silent,
  ) {
    this.names = topologyNames(prefix);
  }

  static async create(options: { url: string; prefix: string; name: string; logger?: Silent }): Promise<Broker> {
    const logger = options.logger ?? silent;
    const names = topologyNames(options.prefix);
    const connection = amqp.connect([options.url], {
      heartbeatIntervalInSeconds: HEARTBEAT_SECONDS,
      reconnectTimeInSeconds: RECONNECT_SECONDS,
      connectionOptions: { clientProperties: { connection_name: options.name } },
    });
    connection.on('disconnect', ({ err }) => logger.warn({ err }, 'RabbitMQ connection lost; reconnecting'));
    connection.on('connect', () => logger.info('RabbitMQ connected'));
    const publisher = connection.createChannel({
      confirm: true,
      publishTimeout: DEFAULT_PUBLISH_TIMEOUT_MS,
      setup: async (channel: ConfirmChannel) => {
        await channel.assertExchange(names.events, 'topic', { durable: true });
        await channel.assertExchange(names.builds, 'topic', { durable: true });
        await channel.assertExchange(names.reports, 'direct', { durable: true });
        await channel.assertExchange(names.control, 'direct', { durable: true });
        await channel.assertExchange(names.deadLetter, 'topic', { durable: true });
        await channel.assertQueue(names.deadLetterQueue, { durable: true });
        await channel.bindQueue(names.deadLetterQueue, names.deadLetter, '#');
      },
    });
    await publisher.waitForConnect();
    return new Broker(connection, publisher, options.prefix, logger);
  }

  isConnected(): boolean {
    return this.connection.isConnected();
  }

  /** Resolves once the broker has confirmed the message; rejects on nack or time-out. */
  async publish(exchange: string, routingKey: string, body: unknown, options: PublishOptions): Promise<void> {
    await this.publisher.publish(exchange, routingKey, Buffer.from(JSON.stringify(body)), {
      contentType: 'application/json',
      persistent: options.persistent ?? true,
      messageId: options.messageId,
      ...(options.priority === undefined ? {} : { priority: options.priority }),
      ...(options.correlationId === undefined ? {} : { correlationId: options.correlationId }),
      headers: options.headers ?? {},
      timeout: options.timeoutMs ?? DEFAULT_PUBLISH_TIMEOUT_MS,
    });
  }

  async consume(options: ConsumeOptions): Promise<Consumer> {
    const retryDelays = options.retry === false ? [] : (options.retry?.delaysMs ?? DEFAULT_RETRY_DELAYS_MS);
    const retryQueue = `${options.queue}.retry`;
    const inFlight = new Set<Promise<void>>();
    let cancelled = false;

    const channel = this.connection.createChannel({
      confirm: true,
      setup: async (ch: ConfirmChannel) => {
        await ch.assertQueue(options.queue, options.queueOptions ?? { durable: true });
        for (const binding of options.bindings ?? []) await ch.bindQueue(options.queue, binding.exchange, binding.routingKey);
        if (retryDelays.length > 0) {
          // Messages wait here for their per-message TTL, then dead-letter back to their queue.
          await ch.assertQueue(retryQueue, {
            durable: true,
            arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': options.queue },
          });
        }
      },
    });

    // Bindings must exist before consume() returns, or a publish right after it would be unroutable.
    await channel.waitForConnect();

    const deadLetter = async (message: ConsumeMessage, reason: string): Promise<void> => {
      this.logger.warn({ queue: options.queue, messageId: message.properties.messageId, reason }, 'message dead-lettered');
      await channel.publish(this.names.deadLetter, options.queue, message.content, {
        ...message.properties,
        headers: {
          ...message.properties.headers,
          'x-tsbit-reason': reason,
          'x-tsbit-queue': options.queue,
          'x-tsbit-routing-key': message.fields.routingKey,
        },
      });
    };

    const handle = async (message: ConsumeMessage): Promise<void> => {
      const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
      const attempt = Number(headers['x-tsbit-attempt'] ?? 1);
      const originalKey = String(headers['x-tsbit-routing-key'] ?? message.fields.routingKey);
      try {
        let body: unknown;
        try {
          body = JSON.parse(message.content.toString('utf8'));
        } catch {
          throw new PermanentFailure('the body is not JSON');
        }
        await options.handler({ body, routingKey: originalKey, messageId: message.properties.messageId, headers, redelivered: message.fields.redelivered, attempt });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        const delay = retryDelays[attempt - 1];
        if (error instanceof PermanentFailure || delay === undefined) {
          await deadLetter(message, reason);
        } else {
          this.logger.info({ queue: options.queue, attempt, delay, reason }, 'message will be retried');
          await channel.sendToQueue(retryQueue, message.content, {
            ...message.properties,
            expiration: String(delay),
            headers: { ...headers, 'x-tsbit-attempt': attempt + 1, 'x-tsbit-routing-key': originalKey, 'x-tsbit-last-error': reason },
          });
        }
      }
      // Acked only after the handler, or the confirmed republish, is done: a crash before this
      // line means redelivery, never loss.
      channel.ack(message);
    };

    await channel.consume(
      options.queue,
      (message) => {
        const work = handle(message).catch((error: unknown) => {
          // The channel went away mid-way: the unacked message is redelivered after reconnect.
          this.logger.error({ err: error, queue: options.queue }, 'message left unacked');
        });
        inFlight.add(work);
        void work.finally(() => inFlight.delete(work));
      },
      { prefetch: options.prefetch, noAck: false },
    );

    const consumer: Consumer = {
      cancel: async () => {
        if (cancelled) return;
        cancelled = true;
        this.consumers.delete(consumer);
        await channel.cancelAll().catch(() => undefined);
        await Promise.all([...inFlight]);
        await channel.close();
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  /** Stops every consumer (waiting for their handlers), then closes the connection. */
  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.cancel()));
    await this.publisher.close();
    await this.connection.close();
  }
}
