import { toErrorCode } from '../../src/api/api-client.js'
import { mainPortToApiPort, type MainMessagePort } from '../../src/api/message-port.js'
import { isHostMessage, type CoreMessage } from './host-messages.js'
import type { ApiError } from '../../src/api/contract.js'
import type { Core, CoreInit } from '../../src/index.js'

/** The part of Electron's `process.parentPort` the core uses; tests pass a fake. */
export interface CoreParentPort {
  on(event: 'message', listener: (event: { data: unknown; ports: MainMessagePort[] }) => void): unknown
  postMessage(message: CoreMessage): void
}

export interface ServeCoreComponents {
  parentPort: CoreParentPort
  createCore: (init: CoreInit) => Promise<Core>
  exit: (code: number) => void
}

function toApiError(err: unknown): ApiError {
  const code = (err as { code?: unknown } | null)?.code
  return { code: toErrorCode(code), message: err instanceof Error ? err.message : String(err) }
}

/**
 * Runs the core for the main process (see host-messages.ts): starts it on `init`, serves the
 * API on every port that `connect` brings, and shuts it down cleanly on `stop`.
 */
export function serveCore({ parentPort, createCore, exit }: ServeCoreComponents): void {
  let core: Promise<Core> | null = null

  parentPort.on('message', ({ data, ports }) => {
    if (!isHostMessage(data)) return
    switch (data.type) {
      case 'init': {
        if (core !== null) return
        const { storeKey } = data
        core = createCore({ dataDir: data.dataDir, mdns: data.mdns, ...(storeKey === undefined ? {} : { storeKey }) })
        if (storeKey?.kind === 'data-key') {
          // The store's codec keeps its own copy of a data key; this one is wiped once the core is up (or not).
          const wipe = (): void => { storeKey.key.fill(0) }
          void core.then(wipe, wipe)
        }
        core.then((started) => { parentPort.postMessage({ type: 'ready', peerId: started.peerId }) }, (err: unknown) => {
          // A core that cannot start (store locked or too new, no free port) is reported and the
          // process ends; the host decides whether to try again.
          parentPort.postMessage({ type: 'failed', error: toApiError(err) })
          exit(1)
        })
        return
      }
      case 'connect': {
        const port = ports[0]
        if (port === undefined) return
        if (core === null) {
          port.close()
          return
        }
        const { clientId } = data
        // Calls sent before the core is up wait in the port: a MessagePortMain queues until started.
        core.then((started) => {
          started.api.connect(mainPortToApiPort(port))
          parentPort.postMessage({ type: 'connected', clientId })
        }, () => { port.close() })
        return
      }
      case 'stop': {
        const running = core ?? Promise.resolve(null)
        running
          .then(async (started) => { await started?.stop() })
          .then(() => { exit(0) }, () => { exit(1) })
      }
    }
  })
}
