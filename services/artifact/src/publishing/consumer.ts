import type { Logger } from 'pino';
import { PermanentFailure, type Broker, type Consumer, type EventMessage, type IncomingMessage } from '@tsbit/messaging';
import { PublishRefused } from './apt-repository';
import type { Publisher } from './publisher';

/**
 * Messages in hand at once: publishes of one suite that wait while its indices are written go
 * into the next generation together, so more in hand means bigger batches under load.
 */
const PUBLISH_PREFETCH = 32;
/** A repository that cannot be written (disk full, gpg-agent gone) may recover: tried again for about a quarter of an hour. */
const PUBLISH_RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000, 600_000];
const JOB_STREAM = /^job-([1-9][0-9]*)$/;
/** The events this consumer is bound to. */
export const PUBLISH_ROUTING_KEY = 'job.BuildSucceeded';

/**
 * The artifact service's own durable queue on the events exchange: every BuildSucceeded, at least
 * once. A message that is not a BuildSucceeded of a job, or names packages a repository refuses,
 * is dead-lettered with the reason; anything else that fails is retried.
 */
export function consumeBuildSuccesses(options: { broker: Broker; publisher: Publisher; logger: Pick<Logger, 'info' | 'warn'>; queue?: string }): Promise<Consumer> {
  const { broker, publisher, logger } = options;
  return broker.consume({
    queue: options.queue ?? broker.names.artifactPublish,
    bindings: [{ exchange: broker.names.events, routingKey: PUBLISH_ROUTING_KEY }],
    prefetch: PUBLISH_PREFETCH,
    retry: { delaysMs: PUBLISH_RETRY_DELAYS_MS },
    handler: async (message: IncomingMessage) => {
      const { jobId, attempt, recordedAt } = parseBuildSucceeded(message.body);
      try {
        const outcome = await publisher.publishBuild(jobId, attempt, recordedAt);
        if (outcome.kind === 'nothing') logger.info({ jobId, attempt, reason: outcome.reason }, 'nothing to publish');
      } catch (error) {
        if (error instanceof PublishRefused) throw new PermanentFailure(`job ${jobId} attempt ${attempt}: ${error.message}`);
        throw error;
      }
    },
  });
}

function parseBuildSucceeded(body: unknown): { jobId: number; attempt: number; recordedAt: Date | undefined } {
  const message = body as Partial<EventMessage> | null;
  if (message === null || typeof message !== 'object') throw new PermanentFailure('event message: must be an object');
  if (message.type !== 'BuildSucceeded') throw new PermanentFailure(`event message.type: must be BuildSucceeded, not ${String(message.type)}`);
  const match = JOB_STREAM.exec(String(message.stream));
  if (!match) throw new PermanentFailure(`event message.stream: must be job-<id>, not ${String(message.stream)}`);
  const data = (message.data ?? {}) as { jobId?: unknown; attempt?: unknown };
  const attempt = Number(data.attempt);
  if (!Number.isInteger(attempt) || attempt <= 0) throw new PermanentFailure('event message.data.attempt: must be a positive integer');
  const recordedAt = typeof message.recordedAt === 'string' ? new Date(message.recordedAt) : undefined;
  return { jobId: Number(match[1]), attempt, recordedAt };
}
