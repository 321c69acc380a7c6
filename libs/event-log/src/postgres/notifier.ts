import { Client } from 'pg';

const LISTEN_CONNECT_TIMEOUT_MS = 5_000;
const LISTEN_RETRY_MIN_MS = 250;
const LISTEN_RETRY_MAX_MS = 10_000;

export interface NotifierOptions {
  connectionString: string;
  channel: string;
  /** Shown in pg_stat_activity, so an operator (or a test) can tell the connection apart. */
  applicationName: string;
}

/**
 * The LISTEN side of a log: one dedicated connection (LISTEN cannot share a pooled one), opened
 * while at least one subscription waits and shared by all of them. It only makes delivery prompt:
 * subscriptions poll anyway, so a dropped connection costs latency, never events. A dropped
 * connection is reopened with back-off, and everyone is woken once it is back, because
 * notifications sent while it was down are gone.
 */
export class Notifier {
  private readonly listeners = new Set<() => void>();
  private active: Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = LISTEN_RETRY_MIN_MS;

  constructor(private readonly options: NotifierOptions) {}

  /** Calls `listener` on every notification; returns the function that removes it. */
  add(listener: () => void): () => Promise<void> {
    this.listeners.add(listener);
    this.open();
    return async () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) await this.shutdown();
    };
  }

  private wakeAll(): void {
    for (const listener of this.listeners) listener();
  }

  private open(): void {
    if (this.active || this.retryTimer || this.listeners.size === 0) return;
    const client = new Client({
      connectionString: this.options.connectionString,
      application_name: this.options.applicationName,
      connectionTimeoutMillis: LISTEN_CONNECT_TIMEOUT_MS,
    });
    this.active = client;
    let lost = false;
    const onLost = (): void => {
      if (lost) return;
      lost = true;
      void client.end().catch(() => undefined);
      if (this.active !== client) return; // closed on purpose
      this.active = undefined;
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.open();
      }, this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, LISTEN_RETRY_MAX_MS);
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', () => this.wakeAll());
    client
      .connect()
      .then(() => client.query(`LISTEN ${this.options.channel}`))
      .then(() => {
        this.retryMs = LISTEN_RETRY_MIN_MS;
        this.wakeAll();
      })
      .catch(onLost);
  }

  private async shutdown(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const client = this.active;
    this.active = undefined;
    await client?.end().catch(() => undefined);
  }
}
