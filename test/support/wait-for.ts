// Tests wait on a condition, never a fixed sleep (STYLE.md §13).

export type WaitForOptions = {
  /** @default 10_000 */
  timeoutMs?: number;
  /** @default 50 */
  intervalMs?: number;
  /** What is awaited, for the timeout message: "the cache entry of key k1". */
  description?: string;
};

/**
 * Polls `condition` until it returns a truthy value, which is returned. A throw counts as "not yet", so an
 * `expect(...)` can be the condition; its last error is quoted when the wait times out.
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  { timeoutMs = 10_000, intervalMs = 50, description = 'the condition' }: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${description}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
