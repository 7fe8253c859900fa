import { resolve } from 'node:path'
import { createCore, type KeyProtection } from '../index.js'
import { browserRendererCsp } from '../api/renderer-csp.js'
import { serveLoopbackApi } from '../api/ws-server.js'
import { createLogger } from '../logger.js'
import { removeEndpoint, writeEndpoint } from './endpoint.js'
import { newShellToken, readShellLink, shellUrl, writeShellLink } from './shell-link.js'
import { createStaticFiles } from './static-files.js'
import { isDownload, serveDownload } from './download-route.js'
import { moveRestoredInto } from './replace-data.js'
import type { ApiServer } from '../api/server.js'
import type { LoopbackApi, LoopbackApiInit } from '../api/ws-server.js'
import type { Logger } from '../logger.js'

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
  /** Loopback API port; 0: any free port (`enclave serve`: the one it used last time). */
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
  const start = (): ReturnType<typeof createCore> => createCore({
    dataDir,
    listen: options.listen.length > 0 ? options.listen : undefined,
    peers: options.peers,
    mdns: options.mdns,
    mailbox: options.mailbox === true,
    relays: options.relays ?? [],
    ...(options.relay === undefined ? {} : { relay: options.relay }),
    log,
    ...(options.storeKey === undefined ? {} : { storeKey: options.storeKey }),
    ...(options.relay !== undefined || options.mailbox === true ? {} : { replaceData })
  })
  /**
   * A backup restored in place (backup.restore on a device with nothing yet): this core stops,
   * the restored folder takes its data folder's place, and a new core starts on it behind the
   * same API port and token; connected shells are dropped and reconnect to it.
   */
  const replaceData = async (staged: string): Promise<void> => {
    await core.stop()
    await moveRestoredInto(dataDir, staged)
    core = await start()
    shells.loopback?.dropClients()
    log.info('restarted as the restored device', { peerId: core.peerId })
    out(`Restored from a backup: now running as Enclave node ${core.peerId}`)
  }
  const shells: { loopback?: LoopbackApi } = {}
  let core = await start()
  // The API the shells reach: always the current core's.
  const api: ApiServer = {
    connect: (port) => core.api.connect(port),
    emit: (name, payload) => { core.api.emit(name, payload) },
    call: (method, input) => core.api.call(method, input),
    get clients () { return core.api.clients }
  }
  // Service nodes introduce themselves by role, so colleagues' people lists do not show a bare id.
  const role = options.relay !== undefined ? 'Enclave relay' : options.mailbox === true ? 'Enclave mailbox' : null
  if (role !== null && (await core.api.call('profile.get', {})).displayName === null) await core.api.call('profile.set', { displayName: role })
  let port = 0
  const rendererDir = options.rendererDir
  const statics = rendererDir === undefined ? undefined : createStaticFiles({ root: rendererDir, csp: () => browserRendererCsp(port) })
  const onHttp: LoopbackApiInit['onHttp'] = statics === undefined ? undefined : (req, res) => {
    if (isDownload(req)) { void serveDownload(core, req, res, log.child('download')); return }
    statics(req, res)
  }
  const served = rendererDir === undefined
    ? await serveLoopbackApi(api, log.child('api'), { port: options.apiPort, onHttp })
    : await serveBrowserShell(api, log.child('api'), dataDir, options.apiPort, onHttp, out)
  shells.loopback = served
  port = served.port
  const endpointPath = await writeEndpoint(dataDir, { url: served.url, token: served.token, pid: process.pid })

  const info = core.info()
  out(`Enclave node ${info.peerId}`)
  out('Listening on:')
  for (const a of info.addresses) out(`  ${a}`)
  out(`API: ${served.url} (token in ${endpointPath})`)
  if (rendererDir !== undefined) out(`Open Enclave: ${shellUrl({ port, token: served.token })}`)

  await new Promise<void>((done) => {
    let stopping = false
    const stop = (): void => {
      if (stopping) return
      stopping = true
      // A stop that never ends keeps the app (and a test run) waiting at quit. The store survives
      // a crash, so past the deadline the process goes anyway, saying what it was waiting on.
      const overran = setTimeout(() => {
        log.error('stop overran; exiting anyway', { ms: STOP_DEADLINE_MS, waitingOn: process.getActiveResourcesInfo() })
        process.exit(1)
      }, STOP_DEADLINE_MS)
      overran.unref()
      void (async () => {
        await removeEndpoint(dataDir)
        await served.close()
        await core.stop()
        clearTimeout(overran)
        done()
      })()
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  // Whatever a library left running after the stop must not keep the process alive: libp2p's
  // address manager leaves a one-second timer behind, which held every stop (and each test's
  // teardown) up for a second. The process goes as soon as its output is out, saying what it
  // left open besides its own pipes and timers.
  const left = process.getActiveResourcesInfo().filter((r) => !['PipeWrap', 'TTYWrap', 'Timeout', 'FSReqCallback'].includes(r))
  if (left.length > 0) log.warn('exiting with resources still open', { open: left })
  setTimeout(() => { process.exit() }, EXIT_AFTER_MS)
}

/** How long a stop may take: the store's close and libp2p's hang-ups take well under a second. */
const STOP_DEADLINE_MS = 15_000
/** How long the process stays up after its stop has finished: for its last output to drain. */
const EXIT_AFTER_MS = 50

function portTaken(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 'EADDRINUSE'
}

/**
 * `enclave serve`: the API and the app on the port and with the token of the last run (kept in
 * DATA/serve.json), so the printed link, an open tab and a bookmark keep working across restarts.
 * A port given with --port wins; when the remembered port is taken by another program, another
 * is chosen, remembered, and the new link announced.
 */
async function serveBrowserShell(api: ApiServer, log: Logger, dataDir: string, askedPort: number, onHttp: LoopbackApiInit['onHttp'], out: (line: string) => void): Promise<LoopbackApi> {
  const kept = await readShellLink(dataDir)
  const token = kept?.token ?? newShellToken()
  const port = askedPort !== 0 ? askedPort : kept?.port ?? 0
  let loopback: LoopbackApi
  try {
    loopback = await serveLoopbackApi(api, log, { port, token, onHttp })
  } catch (err) {
    if (!portTaken(err) || askedPort !== 0) throw err
    loopback = await serveLoopbackApi(api, log, { port: 0, token, onHttp })
    out(`Port ${port} is taken by another program; Enclave now uses port ${loopback.port}. Open tabs and bookmarks need the new link below.`)
  }
  if (kept?.port !== loopback.port || kept.token !== token) await writeShellLink(dataDir, { port: loopback.port, token })
  return loopback
}
