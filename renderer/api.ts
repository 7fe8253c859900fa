import type { ApiError, ClientFrame, ErrorCode, EventName, Events, Method, RequestInput, RequestOutput, ServerFrame } from '../src/api/contract'

/**
 * The renderer's only way to the core. The same client runs over two transports: a DOM
 * MessagePort handed over by Electron's preload, or the browser shell's loopback WebSocket.
 */
export interface Transport {
  send(frame: ClientFrame): void
  onFrame(listener: (frame: ServerFrame) => void): void
  onClose(listener: () => void): void
  close(): void
}

export class ApiCallError extends Error {
  readonly code: ErrorCode
  constructor(error: ApiError) {
    super(error.message)
    this.code = error.code
  }
}

export interface ApiClient {
  call<M extends Method>(method: M, params: RequestInput<M>): Promise<RequestOutput<M>>
  on<E extends EventName>(name: E, listener: (payload: Events[E]) => void): () => void
  onClose(listener: () => void): void
}

export function createApiClient(transport: Transport): ApiClient {
  let nextId = 1
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>()
  const listeners = new Map<EventName, Set<(payload: never) => void>>()
  const closeListeners: Array<() => void> = []

  transport.onFrame((frame) => {
    if (frame.type === 'event') {
      for (const l of listeners.get(frame.name) ?? []) l(frame.payload as never)
      return
    }
    const p = pending.get(frame.id)
    if (p === undefined) return
    pending.delete(frame.id)
    if (frame.ok) p.resolve(frame.value)
    else p.reject(new ApiCallError(frame.error))
  })
  let closed = false
  transport.onClose(() => {
    closed = true
    for (const p of pending.values()) p.reject(new ApiCallError({ code: 'node-not-running', message: 'connection to the node closed' }))
    pending.clear()
    for (const l of closeListeners) l()
  })

  return {
    call: (method, params) => new Promise((resolve, reject) => {
      if (closed) { reject(new ApiCallError({ code: 'node-not-running', message: 'connection to the node closed' })); return }
      const id = nextId++
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      transport.send({ type: 'call', id, method, params })
    }),
    on: (name, listener) => {
      let set = listeners.get(name)
      if (set === undefined) { set = new Set(); listeners.set(name, set) }
      const l = listener as (payload: never) => void
      set.add(l)
      return () => { set.delete(l) }
    },
    onClose: (listener) => { closeListeners.push(listener) }
  }
}

/**
 * Electron: the preload forwards a MessagePort to this window with a tagged postMessage (see
 * app/preload/forward-port.ts). A later port replaces the earlier one (the core restarted or
 * the page reloaded): the old transport closes and the session reconnects on the new one.
 */
export class ElectronPorts {
  private pending: MessagePort | null = null
  private waiting: ((port: MessagePort) => void) | null = null
  private current: Transport | null = null

  constructor (target: Window) {
    target.addEventListener('message', (event: MessageEvent) => {
      const data = event.data as { type?: unknown } | null
      const port = event.ports[0]
      if (event.source !== target || data?.type !== 'enclave:api-port' || port === undefined) return
      const waiting = this.waiting
      if (waiting === null) this.pending = port
      else { this.waiting = null; waiting(port) }
      const old = this.current
      if (old !== null && waiting === null) { this.current = null; old.close() }
    })
  }

  /** The next port's transport: one already received, or the next to arrive. */
  async next(): Promise<Transport> {
    const port = this.pending ?? await new Promise<MessagePort>((resolve) => { this.waiting = resolve })
    this.pending = null
    const transport = portTransport(port)
    this.current = transport
    return transport
  }
}

// Listening starts when this module loads, before Electron sends the first port.
const electronPorts = typeof window !== 'undefined' && window.location.protocol === 'app:' ? new ElectronPorts(window) : null

export function portTransport(port: MessagePort): Transport {
  const closeListeners: Array<() => void> = []
  let closed = false
  const closeOnce = (): void => {
    if (closed) return
    closed = true
    for (const l of closeListeners) l()
  }
  port.addEventListener('close', closeOnce)
  return {
    send: (frame) => { port.postMessage(frame) },
    onFrame: (listener) => {
      // Setting onmessage also starts the port, delivering frames queued before it started.
      port.onmessage = (event: MessageEvent) => { listener(event.data as ServerFrame) }
    },
    onClose: (listener) => { closeListeners.push(listener) },
    close: () => { port.close(); closeOnce() }
  }
}

const TOKEN_KEY = 'enclave.apiToken'

/**
 * The browser shell's token arrives in the URL fragment (never sent to a server). Keep it for
 * reloads of this tab only, and take it out of the address bar.
 */
export function takeBrowserToken(location: Location = window.location, storage: Storage = sessionStorage): string | null {
  const match = /(?:^#|&)token=([0-9a-f]{16,128})/.exec(location.hash)
  if (match?.[1] !== undefined) {
    storage.setItem(TOKEN_KEY, match[1])
    history.replaceState(null, '', location.pathname + location.search)
    return match[1]
  }
  return storage.getItem(TOKEN_KEY)
}

export function websocketTransport(url: string, token: string): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['enclave.api.v1', `token.${token}`])
    ws.onerror = () => { reject(new ApiCallError({ code: 'unauthorized', message: 'the node refused the connection' })) }
    ws.onopen = () => {
      ws.onerror = null
      resolve({
        // A call made while the socket closes is answered by onClose (node-not-running).
        send: (frame) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame)) },
        onFrame: (listener) => {
          ws.onmessage = (event: MessageEvent<string>) => { listener(JSON.parse(event.data) as ServerFrame) }
        },
        onClose: (listener) => { ws.addEventListener('close', listener) },
        close: () => { ws.close() }
      })
    }
  })
}

export async function connectToCore(): Promise<ApiClient> {
  if (electronPorts !== null) return createApiClient(await electronPorts.next())
  const token = takeBrowserToken()
  if (token === null) throw new ApiCallError({ code: 'unauthorized', message: 'no access token: open the link the node printed' })
  return createApiClient(await websocketTransport(`ws://${window.location.host}`, token))
}
