/**
 * How a window's page gets its API port (the Electron handshake):
 *
 * 1. Main makes a MessageChannelMain per page load, sends one end to the core's utility
 *    process and the other to the window: `webContents.postMessage('enclave:api-port', null, [port])`,
 *    after `did-finish-load` (so the page's scripts have run) and again after every reload or
 *    core restart.
 * 2. The preload (isolated world) receives it on ipcRenderer and transfers it, untouched, to the
 *    page's main world: `window.postMessage({ type: 'enclave:api-port' }, '*', [port])`. Nothing
 *    else crosses the isolation boundary: no contextBridge, no Node, no ipcRenderer.
 * 3. The renderer listens on `window` for 'message' events whose `data.type` is
 *    'enclave:api-port' (checking `event.source === window`) and uses `event.ports[0]`, a DOM
 *    MessagePort carrying the JSON frames of src/api/contract.ts: it posts ClientFrame
 *    objects and receives ServerFrame objects. It must subscribe at module top level (before
 *    `did-finish-load`), call `port.start()` (or set `onmessage`), and treat a later port as a
 *    replacement of the earlier one: the old one's core is gone or the page was reloaded.
 *    Frames the core sent before the page started the port wait in it, so nothing is lost.
 */
export const API_PORT_CHANNEL = 'enclave:api-port'

/** The part of Electron's ipcRenderer the preload uses. */
export interface PortSource<P> {
  on(channel: string, listener: (event: { ports: readonly P[] }) => void): unknown
}

/** The part of `window` the preload uses. */
export interface PortSink<P> {
  postMessage(message: unknown, targetOrigin: string, transfer: P[]): void
}

/** Forwards every API port main sends to this page's main world. */
export function forwardApiPort<P>(ipc: PortSource<P>, page: PortSink<P>): void {
  ipc.on(API_PORT_CHANNEL, (event) => {
    const port = event.ports[0]
    if (port === undefined) return
    // '*' is safe here: we post to our own window, never to another frame or origin.
    page.postMessage({ type: API_PORT_CHANNEL }, '*', [port])
  })
}
