/**
 * given/when/then over a pure decider (Emmett's DeciderSpecification): given the events already
 * recorded, when a command is decided, then these events, nothing, or a refusal. No store involved.
 */
export type SpecifiedDecider<State, Command, Event> = Readonly<{
  decide(command: Command, state: State): readonly Event[];
  /** The events folded over the initial state. */
  fold(events: readonly Event[]): State;
}>;

type ErrorWithCode = Error & { code: string };

export type DeciderThen<Event> = Readonly<{
  /** The decision equals `expected`, or passes the assertions of `expected(events)`. */
  then(expected: readonly Event[] | ((events: Event[]) => void)): void;
  /** The decision records nothing (an idempotent repeat, or nothing due). */
  thenNothingHappened(): void;
  /**
   * The decider refuses with an error of its own type and this `code`, whose message matches
   * `message`, or, when none is given, says more than a few words.
   */
  thenRefuses(code: string, message?: RegExp): void;
}>;

export const DeciderSpecification = {
  for<State, Command, Event>(decider: SpecifiedDecider<State, Command, Event>, refusal: abstract new (...args: never[]) => ErrorWithCode) {
    return (events: readonly Event[]) => ({
      when(command: Command): DeciderThen<Event> {
        const run = (): Event[] => [...decider.decide(command, decider.fold(events))];
        return {
          then: (expected) => (typeof expected === 'function' ? expected(run()) : expect(run()).toEqual(expected)),
          thenNothingHappened: () => expect(run()).toEqual([]),
          thenRefuses: (code, message) => {
            let error: unknown;
            try {
              run();
            } catch (e) {
              error = e;
            }
            expect(error).toBeInstanceOf(refusal);
            expect((error as ErrorWithCode).code).toBe(code);
            if (message) expect((error as ErrorWithCode).message).toMatch(message);
            else expect((error as ErrorWithCode).message.length).toBeGreaterThan(20);
          },
        };
      },
    });
  },
};
