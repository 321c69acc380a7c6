import { deserializeEvent, type Decider, type DomainEvent } from '@tsbit/domain';
import type { EventLog } from './port';

export interface FollowedStream<State> {
  /** The state as of this call: every event appended to the stream before it is folded in. */
  get(): Promise<State>;
}

/**
 * One stream's state, folded with its decider's evolve and kept in memory, for small streams read
 * far more often than they change (the catalogue). Each read fetches only the events after those
 * folded so far (usually none: one indexed query). Reads are chained, so that no event is folded
 * twice and a read that starts after an append (this process's or another replica's) sees it.
 */
export function followStream<Event extends DomainEvent, State>(
  log: EventLog,
  stream: string,
  decider: Pick<Decider<unknown, Event, State>, 'evolve' | 'initialState'>,
): FollowedStream<State> {
  let state = decider.initialState();
  let version = -1;
  let last: Promise<State> = Promise.resolve(state);
  const refresh = async (): Promise<State> => {
    for (const recorded of await log.readStream(stream, version + 1)) {
      state = decider.evolve(state, deserializeEvent(recorded.type, recorded.data) as Event);
      version = recorded.version;
    }
    return state;
  };
  return {
    get() {
      last = last.then(refresh, refresh);
      return last;
    },
  };
}
