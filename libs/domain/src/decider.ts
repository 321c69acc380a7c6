/**
 * A decider: the pure core of an aggregate. `decide` turns a command and the current state into
 * new events (or throws a DomainError); `evolve` folds one event into the state. Neither reads a
 * clock or does I/O: time and lookups arrive in the command.
 */
export interface Decider<Command, Event, State> {
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
}

export type DomainErrorKind = 'validation' | 'unprocessable' | 'not_found' | 'conflict' | 'forbidden';

/** A broken business rule. `field` names the offending input where there is one. */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
