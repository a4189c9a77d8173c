// A function whose calls wait until the test lets them go: to look at the world while one is in
// flight (a payment being charged while a checkout runs, for instance).

export interface Gate<A extends unknown[], R> {
  /** Calls `work` once the gate is released; until then it waits (and `started` resolves). */
  call: (...args: A) => Promise<R>;
  /** Resolves when the first call has arrived at the gate. */
  started: Promise<void>;
  /** Lets every waiting call, and every later one, through. */
  release(): void;
}

export function gatedCalls<A extends unknown[], R>(work: (...args: A) => Promise<R>): Gate<A, R> {
  let release: () => void = () => undefined;
  let entered: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<void>((resolve) => (entered = resolve));
  return {
    async call(...args) {
      entered();
      await gate;
      return work(...args);
    },
    started,
    release: () => release(),
  };
}
