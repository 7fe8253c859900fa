import { errorMessage } from './errors.js'
import type { Logger } from './logger.js'

type Listener<P> = (payload: P) => void | Promise<void>

/**
 * A typed event bus. Services subscribe to what they react to and publish what happened; none
 * holds a reference to another only to call it back. A listener that throws (or rejects) is
 * logged and the others still run: one broken subscriber must not stop a message's delivery.
 */
export interface Bus<M extends object> {
  /** Returns a function that unsubscribes. */
  on: <K extends keyof M>(name: K, listener: Listener<M[K]>) => () => void
  /** Every event, by name (the API server fans shell events out this way). */
  onAny: (listener: <K extends keyof M>(name: K, payload: M[K]) => void) => () => void
  /** Tells every listener; returns at once. Listener failures are logged. */
  emit: <K extends keyof M>(name: K, payload: M[K]) => void
  /**
   * Tells every listener in turn and waits for each: for an event whose effects must be durable
   * before the publisher goes on (a doc edit applied before the next envelope). A failure rejects.
   */
  dispatch: <K extends keyof M>(name: K, payload: M[K]) => Promise<void>
}

export function createBus<M extends object>(log: Logger): Bus<M> {
  const listeners = new Map<keyof M, Set<Listener<never>>>()
  const any = new Set<<K extends keyof M>(name: K, payload: M[K]) => void>()
  const failed = (name: keyof M) => (err: unknown): void => { log.error('event listener failed', { event: String(name), error: errorMessage(err) }) }

  return {
    on: (name, listener) => {
      let set = listeners.get(name)
      if (set === undefined) { set = new Set(); listeners.set(name, set) }
      const l = listener as Listener<never>
      set.add(l)
      return () => { set.delete(l) }
    },
    onAny: (listener) => {
      any.add(listener)
      return () => { any.delete(listener) }
    },
    emit: (name, payload) => {
      for (const l of listeners.get(name) ?? []) {
        try {
          const result = (l as Listener<typeof payload>)(payload)
          if (result instanceof Promise) result.catch(failed(name))
        } catch (err) {
          failed(name)(err)
        }
      }
      for (const l of any) {
        try { l(name, payload) } catch (err) { failed(name)(err) }
      }
    },
    dispatch: async (name, payload) => {
      for (const l of [...listeners.get(name) ?? []]) await (l as Listener<typeof payload>)(payload)
      for (const l of any) l(name, payload)
    }
  }
}
