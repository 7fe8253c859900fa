import { errorMessage } from '../errors.js'
import type { Logger } from '../logger.js'

/** A component that runs: `start` begins its work (listening, dialling, timers), `stop` ends it. */
export interface Part {
  start?(): void | Promise<void>
  stop?(): void | Promise<void>
}

export interface Lifecycle {
  /** Adds a built component; returns it, so assembly reads `const x = parts.add('x', await createX(…))`. */
  add<T extends Part>(name: string, part: T): T
  /** Starts every part in the order added. */
  start(): Promise<void>
  /**
   * Stops every part in the reverse order (the store, added first, closes last), once. A part
   * that fails to stop is logged and the rest still stop: a half-stopped core must not keep the
   * store open.
   */
  stop(): Promise<void>
}

export function createLifecycle(log: Logger): Lifecycle {
  const parts: Array<{ name: string; part: Part }> = []
  let stopping: Promise<void> | undefined
  return {
    add: (name, part) => {
      parts.push({ name, part })
      return part
    },
    start: async () => {
      for (const { part } of parts) await part.start?.()
    },
    stop: () => {
      stopping ??= (async () => {
        for (const { name, part } of [...parts].reverse()) {
          try {
            await part.stop?.()
          } catch (err) {
            log.error('a part failed to stop', { part: name, error: errorMessage(err) })
          }
        }
      })()
      return stopping
    }
  }
}
