import type { RecordedEvent, SubscribeOptions, Subscription } from '../port';
import type { Notifier } from './notifier';

const SUBSCRIPTION_PAGE_SIZE = 1_000;
/** Notifications wake subscribers at once; the poll only covers a lost LISTEN connection. */
const SUBSCRIPTION_POLL_MS = 500;
/** A failed read is retried with back-off; this many failures in a row mean the log is gone. */
const READ_RETRY_MIN_MS = 250;
const READ_RETRY_MAX_MS = 5_000;
const MAX_READ_FAILURES = 12;

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

class HandlerFailed {
  constructor(readonly error: unknown) {}
}

export interface PollingSubscriptionDeps {
  readAll(after: bigint, limit: number): Promise<RecordedEvent[]>;
  notifier: Notifier;
  /** Called once the subscription has finished, whether stopped or failed. */
  finished(): void;
}

/**
 * Follows the log by reading pages after the last delivered position. This is sound only because
 * positions become visible in order (see schema.ts): a reader that has seen position n never has
 * to look back before it.
 */
export function startPollingSubscription(
  deps: PollingSubscriptionDeps,
  options: SubscribeOptions,
  handler: (event: RecordedEvent) => Promise<void>,
): Subscription {
  let position = options.after;
  let stopped = false;
  // Set by every notification; cleared before each read, so one arriving during a read is not lost.
  let signalled = false;
  let wake: (() => void) | undefined;
  const removeListener = deps.notifier.add(() => {
    signalled = true;
    wake?.();
  });

  const pause = (ms: number): Promise<void> =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const done = (): void => {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      wake = done;
    });

  const follow = async (): Promise<void> => {
    let failures = 0;
    while (!stopped) {
      signalled = false;
      let page: RecordedEvent[];
      try {
        page = await deps.readAll(position, SUBSCRIPTION_PAGE_SIZE);
        failures = 0;
      } catch (error) {
        failures += 1;
        if (failures >= MAX_READ_FAILURES) throw error;
        await pause(Math.min(READ_RETRY_MIN_MS * 2 ** (failures - 1), READ_RETRY_MAX_MS));
        continue;
      }
      for (const event of page) {
        if (stopped) return;
        try {
          await handler(event);
        } catch (error) {
          throw new HandlerFailed(error);
        }
        position = event.position;
      }
      if (page.length < SUBSCRIPTION_PAGE_SIZE && !signalled) await pause(SUBSCRIPTION_POLL_MS);
    }
  };

  const report = (error: unknown): void => {
    try {
      options.onError?.(asError(error));
    } catch {
      // The subscriber's own error callback failing must not leave stop() hanging or rejecting.
    }
  };

  const running = (async () => {
    try {
      await follow();
    } catch (failure) {
      // A read that fails because stop() closed things is not news; a handler that fails always is.
      if (failure instanceof HandlerFailed) report(failure.error);
      else if (!stopped) report(failure);
    } finally {
      stopped = true;
      await removeListener();
      deps.finished();
    }
  })();

  return {
    stop: async () => {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
