/**
 * Waiting for a condition with a time limit, for conditions that change on events (the bus):
 * the code that sees the events calls {@link Waiter.recheck}, and the wait ends as soon as the
 * condition holds, or when the time is up.
 * @module
 */

/**
 * One condition waited for at a time, re-checked on demand.
 *
 * @example
 * ```ts
 * let confirmed = 0;
 * const waiter = new Waiter();
 * // Elsewhere, on each confirm event: count it and let the waiter look again.
 * setTimeout(() => {
 *   confirmed = 2;
 *   waiter.recheck();
 * }, 10);
 * await waiter.until(() => confirmed >= 2, 5000); // after ~10 ms, or at 5 s at the latest
 * ```
 */
export class Waiter {
  #check: (() => void) | null = null;

  /** Check the condition being waited for again (after anything that may make it hold). */
  recheck(): void {
    this.#check?.();
  }

  /** Resolves when `done()` holds (now or at a {@link recheck}) or after `ms` milliseconds. */
  until(done: () => boolean, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (done()) return resolve();
      const finish = () => {
        clearTimeout(timer);
        if (this.#check === check) this.#check = null;
        resolve();
      };
      const check = () => {
        if (done()) finish();
      };
      const timer = setTimeout(finish, ms);
      this.#check = check;
    });
  }
}
