import type { ApiPort } from './port.js'

/**
 * The shape of Electron's MessagePortMain (main and utility processes), described here so the
 * core never imports electron.
 */
export interface MainMessagePort {
  postMessage(message: unknown): void
  on(event: 'message', listener: (event: { data: unknown }) => void): unknown
  on(event: 'close', listener: () => void): unknown
  start(): void
  close(): void
}

/** Serves the API over an Electron MessagePortMain: the desktop app's renderer and main window. */
export function mainPortToApiPort(port: MainMessagePort): ApiPort {
  const api: ApiPort = {
    send: (frame) => { port.postMessage(frame) },
    onMessage: (listener) => {
      port.on('message', (event) => { listener(event.data) })
      // A MessagePortMain queues messages until started; start once someone listens.
      port.start()
    },
    onClose: (listener) => { port.on('close', listener) },
    close: () => { port.close() }
  }
  return api
}
