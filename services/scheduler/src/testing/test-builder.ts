import { randomBytes } from 'node:crypto';
import amqp, { type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { canonicalMessage } from '@tsbit/contracts';
import { buildQueueOptions, buildRoutingKey, REPORT_ROUTING_KEY, topologyNames } from '@tsbit/messaging';
import { waitFor } from '@tsbit/service-kit';

// A builder as the scheduler sees one: raw AMQP, like any foreign client would be. It declares
// and drains its build queues (recording every request), listens on its control queue, and sends
// whatever reports a test tells it to. It builds nothing.

export interface ReceivedRequest {
  jobId: number;
  attempt: number;
  body: Record<string, unknown>;
  messageId: string | undefined;
  priority: number | undefined;
  routingKey: string;
}

export interface TestBuilderOptions {
  url: string;
  prefix: string;
  name: string;
  arches?: string[];
  suites?: string[];
  formats?: string[];
  slots?: number;
}

const TIMEOUT_MS = 10_000;

export class TestBuilder {
  readonly requests: ReceivedRequest[] = [];
  readonly controls: { cancel?: { jobId: number; attempt: number }; drain?: { drained: boolean } }[] = [];
  private sequence = 0;

  private constructor(
    private readonly connection: ChannelModel,
    private readonly channel: ConfirmChannel,
    private readonly prefix: string,
    readonly name: string,
    readonly capabilities: { arches: string[]; suites: string[]; formats: string[]; slots: number },
  ) {}

  /** Declares its queues (before any hello, as a real builder does, so that nothing dispatched is unroutable). */
  static async start(options: TestBuilderOptions): Promise<TestBuilder> {
    const capabilities = {
      arches: options.arches ?? ['amd64'],
      suites: options.suites ?? ['bookworm'],
      formats: options.formats ?? ['deb'],
      slots: options.slots ?? 1,
    };
    const names = topologyNames(options.prefix);
    const connection = await amqp.connect(options.url);
    const channel = await connection.createConfirmChannel();
    const builder = new TestBuilder(connection, channel, options.prefix, options.name, capabilities);
    for (const format of capabilities.formats) {
      for (const suite of capabilities.suites) {
        for (const arch of capabilities.arches) {
          const routingKey = buildRoutingKey({ format, suite, arch });
          const queue = names.buildQueue(routingKey);
          await channel.assertQueue(queue, buildQueueOptions(options.prefix));
          await channel.bindQueue(queue, names.builds, routingKey);
          await channel.consume(queue, (message) => message && builder.onRequest(message), { noAck: false });
        }
      }
    }
    const control = names.controlQueue(options.name);
    // As a builder declares it: it lives as long as the builder's connection.
    await channel.assertQueue(control, { durable: false, exclusive: true, autoDelete: true });
    await channel.bindQueue(control, names.control, options.name);
    await channel.consume(control, (message) => {
      if (!message) return;
      builder.controls.push(JSON.parse(message.content.toString('utf8')) as TestBuilder['controls'][number]);
      channel.ack(message);
    });
    return builder;
  }

  /** The build queues it declared, for the test's clean-up. */
  buildQueues(): string[] {
    const names = topologyNames(this.prefix);
    const { formats, suites, arches } = this.capabilities;
    return formats.flatMap((format) => suites.flatMap((suite) => arches.map((arch) => names.buildQueue(buildRoutingKey({ format, suite, arch })))));
  }

  /** Says hello with its capabilities and, as a real builder does, how it serves each arch and what it cannot build. */
  hello(support: { archSupport?: Record<string, string>[]; unavailable?: Record<string, string>[] } = {}): Promise<void> {
    return this.report({ hello: { ...this.capabilities, ...support } });
  }

  heartbeat(running: { jobId: number; attempt: number }[]): Promise<void> {
    return this.report({ heartbeat: { running } });
  }

  started(jobId: number, attempt = 1, extra: { mode?: string } = {}): Promise<void> {
    return this.report({ started: { jobId, attempt, ...extra } });
  }

  succeeded(jobId: number, attempt = 1, extra: { inputs?: Record<string, unknown> } = {}): Promise<void> {
    const artifact = { name: `pkg${jobId}_1.0-1_amd64.deb`, sha256: 'c'.repeat(64), size: '1024', kind: 'deb' };
    return this.report({ succeeded: { jobId, attempt, artifacts: [artifact], ...extra } });
  }

  failed(jobId: number, attempt: number, failureClass: 'package' | 'infrastructure', code: string, message = 'it broke'): Promise<void> {
    return this.report({ failed: { jobId, attempt, failureClass, code, message, artifacts: [] } });
  }

  cancelled(jobId: number, attempt = 1): Promise<void> {
    return this.report({ cancelled: { jobId, attempt } });
  }

  /** Sends a report and waits for the broker's confirm. */
  async report(report: Record<string, unknown>): Promise<void> {
    const body = canonicalMessage('BuilderReport', { builder: this.name, sentAt: new Date().toISOString(), ...report });
    await this.raw(body);
  }

  /** Sends any body as a report, checked or not. */
  async raw(body: unknown): Promise<void> {
    const names = topologyNames(this.prefix);
    this.sequence += 1;
    this.channel.publish(names.reports, REPORT_ROUTING_KEY, Buffer.from(JSON.stringify(body)), {
      messageId: `${this.name}:${this.sequence}:${randomBytes(3).toString('hex')}`,
      contentType: 'application/json',
      persistent: true,
    });
    await this.channel.waitForConfirms();
  }

  waitForRequest(jobId: number, attempt = 1): Promise<ReceivedRequest> {
    return waitFor(`BuildRequest for job ${jobId} attempt ${attempt} at ${this.name}`, () => this.requests.find((request) => request.jobId === jobId && request.attempt === attempt), { timeoutMs: TIMEOUT_MS });
  }

  waitForCancel(jobId: number, attempt: number): Promise<unknown> {
    return waitFor(`a cancel of job ${jobId} attempt ${attempt} at ${this.name}`, () => this.controls.find((control) => control.cancel?.jobId === jobId && control.cancel.attempt === attempt), { timeoutMs: TIMEOUT_MS });
  }

  async close(): Promise<void> {
    await this.connection.close().catch(() => undefined);
  }

  private onRequest(message: ConsumeMessage): void {
    const body = JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
    this.requests.push({
      jobId: Number(body['jobId']),
      attempt: Number(body['attempt']),
      body,
      messageId: message.properties.messageId as string | undefined,
      priority: message.properties.priority as number | undefined,
      routingKey: message.fields.routingKey,
    });
    this.channel.ack(message);
  }
}
