import { logKeyString, type LogKey } from './live-log-store';

export type Wake = 'changed' | 'timeout' | 'aborted';

/** One follower's interest in one log. */
export interface LogSubscription {
  /**
   * Resolves at once if the log changed since the last call, else on its next change, after
   * `timeoutMs`, or when `signal` aborts. Call it only after looking at the log: a change that
   * lands between the look and the call is not lost, it makes the call return at once.
   */
  next(timeoutMs: number, signal: AbortSignal): Promise<Wake>;
  close(): void;
}

interface Follower {
  changed: boolean;
  wake?: () => void;
}

/**
 * Wakes the followers of a log when an append or a completion of it lands in this process, so
 * that a follower sleeps until there is something to send instead of polling the file. Followers
 * still look again after a while on their own (the fallback), which covers a store written by
 * another process and an attempt that ended without completing its log.
 */
export class LogNotifier {
  private readonly followers = new Map<string, Set<Follower>>();

  notify(key: LogKey): void {
    for (const follower of this.followers.get(logKeyString(key)) ?? []) {
      follower.changed = true;
      follower.wake?.();
    }
  }

  subscribe(key: LogKey): LogSubscription {
    const id = logKeyString(key);
    const follower: Follower = { changed: false };
    const set = this.followers.get(id) ?? new Set<Follower>();
    this.followers.set(id, set);
    set.add(follower);
    return {
      next: (timeoutMs, signal) =>
        new Promise<Wake>((resolve) => {
          if (signal.aborted) return resolve('aborted');
          if (follower.changed) {
            follower.changed = false;
            return resolve('changed');
          }
          const done = (wake: Wake): void => {
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            follower.wake = undefined;
            follower.changed = false;
            resolve(wake);
          };
          const onAbort = (): void => done('aborted');
          const timer = setTimeout(() => done('timeout'), timeoutMs);
          signal.addEventListener('abort', onAbort, { once: true });
          follower.wake = () => done('changed');
        }),
      close: () => {
        set.delete(follower);
        if (set.size === 0 && this.followers.get(id) === set) this.followers.delete(id);
      },
    };
  }

  /** How many followers there are now, over every log. */
  followerCount(): number {
    let count = 0;
    for (const set of this.followers.values()) count += set.size;
    return count;
  }
}
