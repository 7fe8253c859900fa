import { resolve } from 'node:path'
import { createCore, type KeyProtection } from '../index.js'
import { browserRendererCsp } from '../api/renderer-csp.js'
import { serveLoopbackApi } from '../api/ws-server.js'
import { createLogger } from '../logger.js'
import { removeEndpoint, writeEndpoint } from './endpoint.js'
import { createStaticFiles } from './static-files.js'

export interface NodeOptions {
  dataDir: string
  listen: string[]
  peers: string[]
  mdns: boolean
  /** Hold ciphertext for offline members (`--mailbox`). */
  mailbox?: boolean
  /** Relays to reserve on (`--relay`). */
  relays?: string[]
  /** `enclave relay`: serve as a circuit relay, for one workspace, listed devices, or (`'anyone'`) anyone. */
  relay?: { workspace?: string; allow?: string[] | 'anyone' }
  apiPort: number
  /** `enclave serve`: also serve the built renderer from this folder on the API's port. */
  rendererDir?: string
  /** How the store's data key is protected; default: a key file in the data folder. */
  storeKey?: KeyProtection
}

/** `enclave node` and `enclave serve`: the core plus its loopback API, until SIGINT or SIGTERM. */
export async function runNode(options: NodeOptions, out: (line: string) => void): Promise<void> {
  // Every file the node writes (the store's, as LevelDB makes new ones) is readable by this user only.
  process.umask(0o077)
  const dataDir = resolve(options.dataDir)
  // A relay is a service: its structured log goes to stdout, where service managers collect it.
  const log = createLogger('enclave', options.relay === undefined ? {} : { write: (line) => { process.stdout.write(line + '\n') } })
  const core = await createCore({
    dataDir,
    listen: options.listen.length > 0 ? options.listen : undefined,
    peers: options.peers,
    mdns: options.mdns,
    mailbox: options.mailbox === true,
    relays: options.relays ?? [],
    ...(options.relay === undefined ? {} : { relay: options.relay }),
    log,
    ...(options.storeKey === undefined ? {} : { storeKey: options.storeKey })
  })
  // Service nodes introduce themselves by role, so colleagues' people lists do not show a bare id.
  const role = options.relay !== undefined ? 'Enclave relay' : options.mailbox === true ? 'Enclave mailbox' : null
  if (role !== null && (await core.api.call('profile.get', {})).displayName === null) await core.api.call('profile.set', { displayName: role })
  let port = 0
  const rendererDir = options.rendererDir
  const onHttp = rendererDir === undefined ? undefined : createStaticFiles({ root: rendererDir, csp: () => browserRendererCsp(port) })
  const loopback = await serveLoopbackApi(core.api, log.child('api'), { port: options.apiPort, onHttp })
  port = loopback.port
  const endpointPath = await writeEndpoint(dataDir, { url: loopback.url, token: loopback.token, pid: process.pid })

  const info = core.info()
  out(`Enclave node ${info.peerId}`)
  out('Listening on:')
  for (const a of info.addresses) out(`  ${a}`)
  out(`API: ${loopback.url} (token in ${endpointPath})`)
  if (rendererDir !== undefined) {
    // The token rides in the fragment, which browsers never send to a server or in a Referer.
    out(`Open Enclave: http://127.0.0.1:${port}/#token=${loopback.token}`)
  }

  await new Promise<void>((done) => {
    let stopping = false
    const stop = (): void => {
      if (stopping) return
      stopping = true
      void (async () => {
        await removeEndpoint(dataDir)
        await loopback.close()
        await core.stop()
        done()
      })()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
}
