/**
 * Runs `task` now, or once more after the run in progress when asked again meanwhile: changes
 * that come in while a pass runs are served by one more pass, not one each. A failed pass is
 * handed to `failed` and does not stop later ones; after `stop` nothing new starts.
 */
export function coalescedTask(task: () => Promise<void>, failed: (err: unknown) => void): { run(): void; stop(): void } {
  let running = false
  let again = false
  let stopped = false
  const rerun = (): boolean => again && !stopped
  return {
    run: () => {
      if (stopped) return
      if (running) { again = true; return }
      running = true
      void (async () => {
        do {
          again = false
          try { await task() } catch (err) { failed(err) }
        } while (rerun())
      })().finally(() => { running = false })
    },
    stop: () => { stopped = true }
  }
}
