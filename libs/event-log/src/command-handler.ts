import type { JsonObject } from '@tsbit/contracts';
import { deserializeEvent, serializeEvent, type Decider, type DomainEvent } from '@tsbit/domain';
import { WrongExpectedVersion, type EventLog } from './port';

const DEFAULT_MAX_RETRIES = 3;

export interface HandleCommandOptions<Command, Event extends DomainEvent, State> {
  log: EventLog;
  stream: string;
  decider: Decider<Command, Event, State>;
  command: Command;
  /** Recorded with every event: who caused it, correlation and causation ids. */
  metadata?: JsonObject;
  maxRetries?: number;
}

export interface HandledCommand<Event, State> {
  events: Event[];
  state: State;
  nextExpectedVersion: number;
}

/**
 * Runs one command against one stream: read, fold, decide, append with the version read. When
 * someone else appended meanwhile, it reads again and decides again, so the decision is always
 * made on the state it is appended to.
 */
export async function handleCommand<Command, Event extends DomainEvent, State>(
  options: HandleCommandOptions<Command, Event, State>,
): Promise<HandledCommand<Event, State>> {
  const { log, stream, decider, command } = options;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  for (let attempt = 0; ; attempt += 1) {
    const recorded = await log.readStream(stream);
    let state = decider.initialState();
    for (const event of recorded) state = decider.evolve(state, deserializeEvent(event.type, event.data) as Event);
    const version = recorded.length - 1;
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, nextExpectedVersion: version };
    try {
      const result = await log.append(
        stream,
        events.map((event) => ({ ...serializeEvent(event), ...(options.metadata ? { metadata: options.metadata } : {}) })),
        version < 0 ? 'no_stream' : version,
      );
      for (const event of events) state = decider.evolve(state, event);
      return { events, state, nextExpectedVersion: result.nextExpectedVersion };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersion) || attempt >= maxRetries) throw error;
    }
  }
}
