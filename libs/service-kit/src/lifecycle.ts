import type { Logger } from 'pino';

export interface Running {
  /** Stop taking work, finish or hand back what is in flight, close connections. */
  close(): Promise<void>;
}

const SHUTDOWN_GRACE_MS = 30_000;

/**
 * Runs a service until SIGTERM or SIGINT, then closes it gracefully. A second signal, or a
 * shutdown that outlives the grace period, exits at once: Kubernetes would SIGKILL anyway.
 */
export function runService(name: string, logger: Logger, start: () => Promise<Running>): void {
  let running: Running | undefined;
  let stopping = false;

  const stop = async (signal: string): Promise<void> => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, `${name} shutting down`);
    const timer = setTimeout(() => {
      logger.error('graceful shutdown took too long: exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS);
    timer.unref();
    try {
      await running?.close();
      logger.info(`${name} stopped`);
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };

  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled rejection'));

  start()
    .then((service) => {
      running = service;
      logger.info(`${name} started`);
    })
    .catch((error: unknown) => {
      logger.fatal({ err: error }, `${name} failed to start`);
      process.exit(1);
    });
}
