// Waiting on an explicit signal (a row, a recorded call, a log line, a queue count) instead of
// sleeping: `eventually` checks the condition until it holds (and throws saying what did not
// come), `valueWhen` returns what it last read for the caller's assertion, `waitFor` says whether
// it came (the drills record a problem instead); each with a deadline generous enough for a
// loaded machine (two suites on two cores are slow, not wrong). The short pause between checks is
// the polling interval, not a guess at how long the work takes. `deferred` is the signal itself.

export const WAIT_TIMEOUT_MS = 25_000;

/**
 * Resolves with the first truthy value `probe` returns; throws "timed out waiting for <what>"
 * after `timeoutMs` (default 25 s: under the 30 s test timeout, so the message says what was
 * awaited).
 */
export async function eventually<T>(probe: () => T | Promise<T>, what: string, timeoutMs = WAIT_TIMEOUT_MS, intervalMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * What `read` gives once `ok` holds it, or the last value read when `timeoutMs` passes: the
 * caller's assertion then shows what was there instead of a bare timeout.
 */
export async function valueWhen<T>(read: () => T | Promise<T>, ok: (value: T) => boolean, timeoutMs = WAIT_TIMEOUT_MS, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * Whether `probe` came to hold within `timeoutMs`, checked every `intervalMs`: for the drills,
 * which record what did not come as a problem (with the facts around it) instead of throwing.
 */
export async function waitFor(probe: () => boolean | Promise<boolean>, timeoutMs = 20_000, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A promise settled from outside: what one part of a test waits for and another signals. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
