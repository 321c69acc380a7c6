import type { Decider } from '../decider';

/**
 * Decider tests read as given events / when command / then events (or error):
 *   spec.given([submitted]).when(queue).then([queued])
 */
export function deciderSpec<Command, Event, State>(decider: Decider<Command, Event, State>) {
  return {
    given(events: Event[]) {
      const state = events.reduce(decider.evolve, decider.initialState());
      return {
        state,
        when(command: Command) {
          const run = () => decider.decide(command, state);
          return {
            then(expected: Event[]): void {
              expect(run()).toEqual(expected);
            },
            thenThrows(expected: RegExp | Record<string, unknown>): void {
              if (expected instanceof RegExp) expect(run).toThrow(expected);
              else {
                let caught: unknown;
                try {
                  run();
                } catch (error) {
                  caught = error;
                }
                expect(caught).toMatchObject(expected);
              }
            },
          };
        },
      };
    },
  };
}
