import { WebSocket } from 'ws'
import { EnclaveError, errorMessage } from '../errors.js'
import { rawText } from './ws-text.js'
import { API_SUBPROTOCOL, API_TOKEN_PREFIX, ERROR_CODES, type ErrorCode, type EventName, type Events, type Method, type RequestInput, type RequestOutput, type ServerFrame } from './contract.js'

export interface ApiClient {
  call<M extends Method>(method: M, params?: RequestInput<M>): Promise<RequestOutput<M>>
  /** Calls a method by name with untyped params: the CLI's `enclave call`. */
  callRaw(method: string, params: unknown): Promise<unknown>
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void
  /** Every event, by name: `enclave events`. */
  onAny(listener: (name: EventName, payload: unknown) => void): void
  onClose(listener: () => void): void
  close(): void
}

function toErrorCode(code: unknown): ErrorCode {
  return (ERROR_CODES as readonly unknown[]).includes(code) ? code as ErrorCode : 'internal'
}

/** Connects to a node's loopback API (Node side: CLI, tests, benchmarks, bots). */
export async function connectApi(endpoint: { url: string; token: string }): Promise<ApiClient> {
  const ws = new WebSocket(endpoint.url, [API_SUBPROTOCOL, `${API_TOKEN_PREFIX}${endpoint.token}`])
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => { resolve() })
    ws.once('error', (err) => { reject(new EnclaveError('node-not-running', `cannot reach the node API at ${endpoint.url}: ${errorMessage(err)}`, { cause: err })) })
    ws.once('unexpected-response', (_req, res) => {
      reject(new EnclaveError('unauthorized', `the node refused the API connection (HTTP ${res.statusCode ?? '?'})`))
    })
  })
  let nextId = 1
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>()
  const listeners = new Set<(name: EventName, payload: unknown) => void>()
  ws.on('message', (data) => {
    let frame: ServerFrame
    try { frame = JSON.parse(rawText(data)) as ServerFrame } catch { return }
    if (frame.type === 'event') {
      for (const l of listeners) l(frame.name, frame.payload)
      return
    }
    const p = pending.get(frame.id)
    if (p === undefined) return
    pending.delete(frame.id)
    if (frame.ok) p.resolve(frame.value)
    else p.reject(new EnclaveError(toErrorCode(frame.error.code), frame.error.message))
  })
  ws.on('close', () => {
    for (const p of pending.values()) p.reject(new EnclaveError('node-not-running', 'the node closed the API connection'))
    pending.clear()
  })

  const callRaw = (method: string, params: unknown): Promise<unknown> => new Promise((resolve, reject) => {
    if (ws.readyState !== ws.OPEN) { reject(new EnclaveError('node-not-running', 'the API connection is closed')); return }
    const id = nextId++
    pending.set(id, { resolve, reject })
    ws.send(JSON.stringify({ type: 'call', id, method, params: params ?? {} }))
  })

  return {
    call: async (method, params) => await callRaw(method, params) as RequestOutput<typeof method>,
    callRaw,
    on: (name, listener) => {
      const l = (n: EventName, payload: unknown): void => { if (n === name) listener(payload as Events[typeof name]) }
      listeners.add(l)
      return () => listeners.delete(l)
    },
    onAny: (listener) => { listeners.add(listener) },
    onClose: (listener) => { ws.on('close', listener) },
    close: () => { ws.close() }
  }
}
