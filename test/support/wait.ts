// Waiting on an explicit signal (a row, a recorded call, a log line, a queue count) instead of
// sleeping: `eventually` checks the condition until it holds, with a deadline generous enough
// for a loaded machine (two suites on two cores are slow, not wrong). The short pause between
// checks is the polling interval, not a guess at how long the work takes.

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
