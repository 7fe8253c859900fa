import { rawText } from './ws-text.js'
import type { WebSocket } from 'ws'
import type { ApiPort } from './port.js'

/** Turns one WebSocket into an API port: JSON text frames, nothing else accepted. */
export function wsToPort(ws: WebSocket): ApiPort {
  return {
    send: (frame) => { if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame)) },
    onMessage: (listener) => {
      ws.on('message', (data, isBinary) => {
        // Binary or non-JSON frames arrive as null: the server answers bad-request, a client ignores them.
        if (isBinary) { listener(null); return }
        let parsed: unknown
        try { parsed = JSON.parse(rawText(data)) } catch { parsed = null }
        listener(parsed)
      })
    },
    onClose: (listener) => { ws.on('close', listener) },
    close: () => { ws.close() }
  }
}
