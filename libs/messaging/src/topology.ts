/** Names of every exchange and queue, all under one prefix so that farms (and tests) can share a broker. */
export function topologyNames(prefix: string) {
  return {
    events: `${prefix}.events`,
    builds: `${prefix}.builds`,
    reports: `${prefix}.reports`,
    control: `${prefix}.control`,
    deadLetter: `${prefix}.dead-letter`,
    deadLetterQueue: `${prefix}.dead-letters`,
    schedulerEvents: `${prefix}.scheduler.events`,
    /** The artifact service's BuildSucceeded queue: what it publishes into the repositories. */
    artifactPublish: `${prefix}.artifact.publish`,
    reportsQueue: `${prefix}.reports`,
    buildQueue: (routingKey: string) => `${prefix}.builds.${routingKey}`,
    controlQueue: (builder: string) => `${prefix}.control.${builder}`,
  };
}
export type TopologyNames = ReturnType<typeof topologyNames>;

export const REPORT_ROUTING_KEY = 'report';
/**
 * What the scheduler hears of the events exchange: job and builder events, and publications
 * (a published package releases the jobs in dependency wait for it).
 */
export const SCHEDULER_EVENT_BINDINGS = ['job.#', 'builder.#', 'publication.#'] as const;
/** Build queues honour job priorities on 0..10; the scheduler maps job priority onto that range. */
export const MAX_BUILD_PRIORITY = 10;

/** The arguments of a build queue; every declaration of it must use the same ones, or RabbitMQ refuses. */
export function buildQueueOptions(prefix: string) {
  return {
    durable: true,
    arguments: { 'x-max-priority': MAX_BUILD_PRIORITY, 'x-dead-letter-exchange': topologyNames(prefix).deadLetter },
  };
}

const ROUTING_KEY_PART = /^[a-z0-9][a-z0-9+_-]*$/i;

export class InvalidRoutingKey extends Error {
  constructor(
    readonly field: string,
    value: string,
  ) {
    super(`${field} "${value}" cannot be part of a routing key: letters, digits, '+', '_' and '-' only`);
    this.name = 'InvalidRoutingKey';
  }
}

/** `<format>.<suite>.<arch>`; '.' separates the parts of a topic routing key, so no part may hold one. */
export function buildRoutingKey(job: { format: string; suite: string; arch: string }): string {
  for (const field of ['format', 'suite', 'arch'] as const) {
    if (!ROUTING_KEY_PART.test(job[field])) throw new InvalidRoutingKey(field, job[field]);
  }
  return `${job.format}.${job.suite}.${job.arch}`;
}

/** `<category>.<EventType>`, the category being the stream id up to its first '-' (job-12 → job). */
export function eventRoutingKey(stream: string, type: string): string {
  const dash = stream.indexOf('-');
  return `${dash < 0 ? stream : stream.slice(0, dash)}.${type}`;
}
