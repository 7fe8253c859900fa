// Polls with a deadline: what tests (unit and cross-process) wait on instead of fixed sleeps.
/** Polls `check` until it returns a value other than undefined/false, or fails at the deadline. */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000)
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== false) return value
    } catch (err) {
      lastError = err
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError instanceof Error ? `: ${lastError.message}` : ''}`)
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 50))
  }
}
