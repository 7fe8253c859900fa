import type { ApiError, ErrorCode, EventName, Events, Method, RequestInput, RequestOutput, ServerFrame } from '../../src/api/contract.js'
import type { ApiPort } from '../../src/api/port.js'

/** A failed API call, carrying the core's error code (or `node-not-running` when the core went away). */
export class ApiCallError extends Error {
  readonly code: ErrorCode

  constructor(error: ApiError) {
    super(error.message)
    this.name = 'ApiCallError'
    this.code = error.code
  }
}

export interface ApiClient {
  call<M extends Method>(method: M, params: RequestInput<M>): Promise<RequestOutput<M>>
  /** Returns a function that unsubscribes. Subscriptions survive `attach` of a new port. */
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void
  /** Speaks over this port from now on (after the core started or restarted). */
  attach(port: ApiPort): void
  /** Forgets the port; calls still waiting fail with `node-not-running`. */
  detach(): void
}

function isServerFrame(raw: unknown): raw is ServerFrame {
  if (typeof raw !== 'object' || raw === null) return false
  const frame = raw as { type?: unknown; id?: unknown; name?: unknown }
  return (frame.type === 'result' && typeof frame.id === 'number') || (frame.type === 'event' && typeof frame.name === 'string')
}

/**
 * The main process's own API client (tray, notifications, deep links), over any ApiPort; in the
 * app that is a MessagePortMain to the core's utility process.
 */
export function createApiClient(): ApiClient {
  type Pending = { resolve: (value: unknown) => void; reject: (err: ApiCallError) => void }
  const pending = new Map<number, Pending>()
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>()
  let port: ApiPort | null = null
  let nextId = 1

  const failPending = (): void => {
    for (const call of pending.values()) call.reject(new ApiCallError({ code: 'node-not-running', message: 'the core stopped before answering' }))
    pending.clear()
  }

  const onFrame = (raw: unknown): void => {
    if (!isServerFrame(raw)) return
    if (raw.type === 'event') {
      for (const listener of listeners.get(raw.name) ?? []) listener(raw.payload)
      return
    }
    const call = pending.get(raw.id)
    if (call === undefined) return
    pending.delete(raw.id)
    if (raw.ok) call.resolve(raw.value)
    else call.reject(new ApiCallError(raw.error))
  }

  const detach = (): void => {
    const old = port
    port = null
    failPending()
    old?.close()
  }

  return {
    call: <M extends Method>(method: M, params: RequestInput<M>) => new Promise<RequestOutput<M>>((resolve, reject) => {
      if (port === null) {
        reject(new ApiCallError({ code: 'node-not-running', message: 'the core is not running' }))
        return
      }
      const id = nextId++
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject })
      port.send({ type: 'call', id, method, params })
    }),
    on: (name, listener) => {
      const set = listeners.get(name) ?? new Set()
      listeners.set(name, set)
      const untyped = listener as (payload: unknown) => void
      set.add(untyped)
      return () => { set.delete(untyped) }
    },
    attach: (next) => {
      detach()
      port = next
      next.onMessage(onFrame)
      next.onClose(() => {
        if (port !== next) return
        port = null
        failPending()
      })
    },
    detach
  }
}
