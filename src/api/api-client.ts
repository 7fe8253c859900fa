import { ERROR_CODES, type ApiError, type ClientFrame, type ErrorCode, type EventName, type Events, type Method, type RequestInput, type RequestOutput } from './contract.js'

/*
 * The one API client of every shell: the renderer (over a MessagePort or the browser shell's
 * WebSocket), Electron main (over a MessagePortMain) and the CLI, tests and bots (over a Node
 * WebSocket). The renderer bundles this file, so it imports nothing but the contract and uses
 * nothing that only Node or only a browser has (checked by the dependency rules).
 */

/** A duplex of API frames; an ApiPort (src/api/port.ts) is one. */
export interface ApiTransport {
  send(frame: ClientFrame): void
  /** Frames as decoded from the wire: the client checks their shape before trusting them. */
  onMessage(listener: (frame: unknown) => void): void
  onClose(listener: () => void): void
  close(): void
}

/** A failed API call, carrying the core's error code (or `node-not-running` when the core went away). */
export class ApiCallError extends Error {
  readonly code: ErrorCode

  constructor(error: ApiError, options?: { cause?: unknown }) {
    super(error.message, options)
    this.name = 'ApiCallError'
    this.code = error.code
  }
}

/** A code from the wire or from a thrown error; one this build does not know becomes `internal`. */
export function toErrorCode(code: unknown): ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(code) ? code as ErrorCode : 'internal'
}

export interface ApiClient {
  call<M extends Method>(method: M, params: RequestInput<M>): Promise<RequestOutput<M>>
  /** Calls a method by name with unchecked params: the CLI's `enclave call`. */
  callRaw(method: string, params: unknown): Promise<unknown>
  /** Subscriptions survive `close` and `attach`. Returns a function that unsubscribes. */
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void
  /** Every event, by name: `enclave events`. */
  onAny(listener: (name: EventName, payload: unknown) => void): () => void
  /** Called each time the transport goes away (closed by either side); not when `attach` replaces it. */
  onClose(listener: () => void): () => void
  /**
   * Speaks over this transport from now on (Electron main, after the core started or restarted):
   * the previous one is closed and its unanswered calls fail with `node-not-running`.
   */
  attach(transport: ApiTransport): void
  /** Closes the transport; unanswered and later calls fail with `node-not-running` until `attach`. */
  close(): void
}

type AnyListener = (name: EventName, payload: unknown) => void
type ResultFrame = { id: number } & ({ ok: true; value: unknown } | { ok: false; error: ApiError })
type Incoming = ({ type: 'result' } & ResultFrame) | { type: 'event'; name: EventName; payload: unknown }

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

/**
 * The frame's meaning, or null when it is not a frame. A result whose error is malformed still
 * settles its call (as `internal`), so a faulty core cannot leave a caller waiting forever.
 */
function readFrame(raw: unknown): Incoming | null {
  if (!isRecord(raw)) return null
  if (raw.type === 'event') return typeof raw.name === 'string' ? { type: 'event', name: raw.name as EventName, payload: raw.payload } : null
  if (raw.type !== 'result' || typeof raw.id !== 'number') return null
  if (raw.ok === true) return { type: 'result', id: raw.id, ok: true, value: raw.value }
  if (raw.ok !== false) return null
  const error = isRecord(raw.error) ? raw.error : {}
  const message = typeof error.message === 'string' ? error.message : 'the core sent a malformed error'
  return { type: 'result', id: raw.id, ok: false, error: { code: toErrorCode(error.code), message } }
}

function notRunning(message: string): ApiCallError {
  return new ApiCallError({ code: 'node-not-running', message })
}

export function createApiClient(transport?: ApiTransport): ApiClient {
  type Pending = { resolve: (value: unknown) => void; reject: (err: ApiCallError) => void }
  const pending = new Map<number, Pending>()
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>()
  const anyListeners = new Set<AnyListener>()
  const closeListeners = new Set<() => void>()
  let current: ApiTransport | null = null
  let nextId = 1

  const failPending = (): void => {
    const calls = [...pending.values()]
    pending.clear()
    for (const call of calls) call.reject(notRunning('the connection to the core closed before it answered'))
  }

  const onFrame = (raw: unknown): void => {
    const frame = readFrame(raw)
    if (frame === null) return
    if (frame.type === 'event') {
      for (const listener of [...listeners.get(frame.name) ?? []]) listener(frame.payload)
      for (const listener of [...anyListeners]) listener(frame.name, frame.payload)
      return
    }
    const call = pending.get(frame.id)
    if (call === undefined) return
    pending.delete(frame.id)
    if (frame.ok) call.resolve(frame.value)
    else call.reject(new ApiCallError(frame.error))
  }

  /** Forgets the transport; true when there was one. */
  const drop = (): boolean => {
    const old = current
    if (old === null) return false
    current = null
    failPending()
    old.close()
    return true
  }

  const announceClose = (): void => {
    for (const listener of [...closeListeners]) listener()
  }

  const callRaw = (method: string, params: unknown): Promise<unknown> => new Promise((resolve, reject) => {
    if (current === null) { reject(notRunning('not connected to the core')); return }
    const id = nextId++
    pending.set(id, { resolve, reject })
    try {
      current.send({ type: 'call', id, method, params: params ?? {} })
    } catch (err) {
      // The params cannot be encoded (a cycle, a function, a BigInt): the caller's mistake.
      pending.delete(id)
      reject(new ApiCallError({ code: 'bad-request', message: err instanceof Error ? err.message : String(err) }, { cause: err }))
    }
  })

  const attach = (next: ApiTransport): void => {
    drop()
    current = next
    next.onMessage((raw) => { if (current === next) onFrame(raw) })
    next.onClose(() => {
      if (current !== next) return
      current = null
      failPending()
      announceClose()
    })
  }

  if (transport !== undefined) attach(transport)

  return {
    call: async <M extends Method>(method: M, params: RequestInput<M>) => await callRaw(method, params) as RequestOutput<M>,
    callRaw,
    on: (name, listener) => {
      const set = listeners.get(name) ?? new Set()
      listeners.set(name, set)
      // The core sends each event name with its contract payload; the client does not re-check it.
      const untyped = (payload: unknown): void => { listener(payload as Events[typeof name]) }
      set.add(untyped)
      return () => { set.delete(untyped) }
    },
    onAny: (listener) => {
      const own: AnyListener = (name, payload) => { listener(name, payload) }
      anyListeners.add(own)
      return () => { anyListeners.delete(own) }
    },
    onClose: (listener) => {
      const own = (): void => { listener() }
      closeListeners.add(own)
      return () => { closeListeners.delete(own) }
    },
    attach,
    close: () => { if (drop()) announceClose() }
  }
}
