import type { JsonObject } from '@tsbit/contracts';
import { deserializeEvent, serializeEvent, type Decider, type DomainEvent } from '@tsbit/domain';
import { WrongExpectedVersion, type EventLog } from './port';

/** Conflicts are rare (one writer per stream, mostly): a few fresh decisions settle them. */
const DEFAULT_MAX_RETRIES = 3;

export interface HandleCommandOptions<Command, Event extends DomainEvent, State> {
  log: EventLog;
  stream: string;
  decider: Decider<Command, Event, State>;
  command: Command;
  /** Recorded with every event appended: who caused it, correlation and causation ids, trace context. */
  metadata?: JsonObject;
  /** How many times a conflicting append is decided again on the new state; 3 by default. */
  maxRetries?: number;
}

export interface HandledCommand<Event, State> {
  /** What the decider decided, as appended; [] when there was nothing to do. */
  events: Event[];
  /** The stream's state with those events folded in. */
  state: State;
  /** The version of the stream's last event, -1 when the stream does not exist. */
  nextExpectedVersion: number;
}

/**
 * Runs one command against one stream: read, fold, decide, append with the version read. When
 * another writer appended meanwhile, the append is refused, and the command is decided again on
 * the new state, so a decision is only ever appended to the state it was made on. A DomainError
 * from the decider is thrown as is, and nothing is appended.
 */
export async function handleCommand<Command, Event extends DomainEvent, State>(
  options: HandleCommandOptions<Command, Event, State>,
): Promise<HandledCommand<Event, State>> {
  const { log, stream, decider, command, metadata } = options;
  const maxRetries = options.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) throw new RangeError(`maxRetries must be an integer >= 0, got ${String(maxRetries)}`);
  for (let attempt = 0; ; attempt += 1) {
    const recorded = await log.readStream(stream);
    let state = decider.initialState();
    for (const event of recorded) state = decider.evolve(state, deserializeEvent(event.type, event.data) as Event);
    const version = recorded[recorded.length - 1]?.version ?? -1;
    const events = decider.decide(command, state);
    if (events.length === 0) return { events, state, nextExpectedVersion: version };
    try {
      const result = await log.append(
        stream,
        events.map((event) => ({ ...serializeEvent(event), ...(metadata ? { metadata } : {}) })),
        version < 0 ? 'no_stream' : version,
      );
      for (const event of events) state = decider.evolve(state, event);
      return { events, state, nextExpectedVersion: result.nextExpectedVersion };
    } catch (error) {
      if (!(error instanceof WrongExpectedVersion) || attempt >= maxRetries) throw error;
    }
  }
}
