import { randomBytes, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { WebSocketServer } from 'ws'
import { errorMessage } from '../errors.js'
import { API_SUBPROTOCOL, API_TOKEN_PREFIX } from './contract.js'
import { wsToPort } from './ws-port.js'
import type { Logger } from '../logger.js'
import type { ApiServer } from './server.js'
import type { Duplex } from 'node:stream'

export interface LoopbackApiInit {
  /** @default 0 (the OS picks) */
  port?: number
  /** A fresh random token per run unless given. */
  token?: string
  /** Largest API frame accepted. @default 1 MiB */
  maxFrameBytes?: number
  /** Serves plain HTTP requests (the browser shell's static files); 404 when absent. */
  onHttp?: (req: IncomingMessage, res: ServerResponse) => void
}

export interface LoopbackApi {
  /** `ws://127.0.0.1:<port>` */
  url: string
  port: number
  token: string
  /** Closes every client's connection (the core behind the API was replaced; they reconnect). */
  dropClients(): void
  close(): Promise<void>
}

function tokenFrom(req: IncomingMessage): string | undefined {
  const offered = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
  return offered.find((p) => p.startsWith(API_TOKEN_PREFIX))?.slice(API_TOKEN_PREFIX.length)
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * The API on 127.0.0.1 only, for the CLI, bots, tests and the browser shell. A client proves it
 * may call by offering the per-run token as a WebSocket subprotocol (browsers cannot set
 * headers); a browser must also come from this server's own origin, so no web page the user
 * visits can drive the node.
 */
export async function serveLoopbackApi(api: ApiServer, log: Logger, init: LoopbackApiInit = {}): Promise<LoopbackApi> {
  const token = init.token ?? randomBytes(32).toString('hex')
  const wss = new WebSocketServer({
    noServer: true,
    // Large enough for a whole board's state in one docs.update (base64); only a client holding
    // the token gets this far.
    maxPayload: init.maxFrameBytes ?? 48 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has(API_SUBPROTOCOL) ? API_SUBPROTOCOL : false)
  })
  const http: Server = createServer((req, res) => {
    if (init.onHttp !== undefined) { init.onHttp(req, res); return }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n')
  })
  let ownOrigin = ''

  const refuse = (socket: Duplex, status: number, reason: string): void => {
    log.warn('API connection refused', { status, reason })
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
  }

  http.on('upgrade', (req, socket, head) => {
    const origin = req.headers.origin
    if (origin !== undefined && origin !== ownOrigin && origin !== ownOrigin.replace('127.0.0.1', 'localhost')) { refuse(socket, 403, 'Forbidden'); return }
    const offered = tokenFrom(req)
    if (offered === undefined || !sameSecret(offered, token)) { refuse(socket, 401, 'Unauthorized'); return }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', (err) => { log.debug('API socket error', { error: errorMessage(err) }) })
      api.connect(wsToPort(ws))
    })
  })

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(init.port ?? 0, '127.0.0.1', () => { http.off('error', reject); resolve() })
  })
  const address = http.address()
  const port = typeof address === 'object' && address !== null ? address.port : 0
  ownOrigin = `http://127.0.0.1:${port}`

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    token,
    dropClients: () => { for (const ws of wss.clients) ws.close(1012, 'restarting') },
    close: async () => {
      for (const ws of wss.clients) ws.terminate()
      wss.close()
      http.closeAllConnections()
      await new Promise<void>((resolve) => http.close(() => { resolve() }))
    }
  }
}
