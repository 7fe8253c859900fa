import { ApiCallError, createApiClient, type ApiClient, type ApiTransport } from '../src/api/api-client'

/*
 * The renderer's transports to the core; the client itself is the one in src/api. In Electron a
 * DOM MessagePort arrives from the preload; in the browser shell a loopback WebSocket opens.
 */

/**
 * Electron: the preload forwards a MessagePort to this window with a tagged postMessage (see
 * app/preload/forward-port.ts). A later port replaces the earlier one (the core restarted or
 * the page reloaded): the old transport closes and the session reconnects on the new one.
 */
export class ElectronPorts {
  private pending: MessagePort | null = null
  private waiting: ((port: MessagePort) => void) | null = null
  private current: ApiTransport | null = null

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
  async next(): Promise<ApiTransport> {
    const port = this.pending ?? await new Promise<MessagePort>((resolve) => { this.waiting = resolve })
    this.pending = null
    const transport = portTransport(port)
    this.current = transport
    return transport
  }
}

// Listening starts when this module loads, before Electron sends the first port.
const electronPorts = typeof window !== 'undefined' && window.location.protocol === 'app:' ? new ElectronPorts(window) : null

export function portTransport(port: MessagePort): ApiTransport {
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
    onMessage: (listener) => {
      // Setting onmessage also starts the port, delivering frames queued before it started.
      port.onmessage = (event: MessageEvent) => { listener(event.data) }
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

/** A text frame's JSON, or null (which the client ignores) for anything else. */
function parseJson(data: unknown): unknown {
  if (typeof data !== 'string') return null
  try { return JSON.parse(data) } catch { return null }
}

export function websocketTransport(url: string, token: string): Promise<ApiTransport> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['enclave.api.v1', `token.${token}`])
    ws.onerror = () => { reject(new ApiCallError({ code: 'unauthorized', message: 'the node refused the connection' })) }
    ws.onopen = () => {
      ws.onerror = null
      resolve({
        // A call made while the socket closes is answered by onClose (node-not-running).
        send: (frame) => { if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(frame)) },
        onMessage: (listener) => {
          ws.onmessage = (event: MessageEvent<unknown>) => { listener(parseJson(event.data)) }
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
