import { API_PORT_CHANNEL } from '../preload/forward-port.js'
import { toErrorCode, type ApiClient } from '../../src/api/api-client.js'
import { isCoreMessage, type CoreMessage, type HostMessage, type StoreKeyInit } from '../core/host-messages.js'
import { messageOf, type ShellLog } from './shell-log.js'
import type { MainMessagePort } from '../../src/api/message-port.js'
import type { ApiError, PeerIdString } from '../../src/api/contract.js'
import type { ApiPort } from '../../src/api/port.js'

/** What the host needs of Electron's UtilityProcess (P is MessagePortMain in the app). */
export interface CoreProcess<P> {
  on(event: 'message', listener: (message: unknown) => void): unknown
  on(event: 'exit', listener: (code: number) => void): unknown
  postMessage(message: HostMessage, transfer?: P[]): void
  kill(): boolean
}

/** What the host needs of a window's WebContents. */
export interface PortReceiver<P> {
  postMessage(channel: string, message: unknown, transfer: P[]): void
  on(event: 'did-start-loading' | 'did-finish-load', listener: () => void): unknown
  once(event: 'destroyed', listener: () => void): unknown
}

export interface CoreHostComponents<P extends MainMessagePort> {
  /** Starts core-process.js in a utility process. */
  fork: () => CoreProcess<P>
  createChannel: () => { port1: P; port2: P }
  /** Wraps main's end of its own channel for `api` (mainPortToApiPort in the app). */
  toApiPort: (port: P) => ApiPort
  /** Main's own client; the host attaches it to each core it starts. */
  api: ApiClient
  log: ShellLog
}

export interface CoreHostInit {
  dataDir: string
  mdns: boolean
  /** Wait before the first restart after a crash; doubles per crash. @default 500 ms */
  restartDelayMs?: number
  /** @default 30 s */
  maxRestartDelayMs?: number
  /** A core that stayed up this long counts as healthy: the next crash restarts quickly again. @default 60 s */
  stableAfterMs?: number
  /** How long `stop` waits for a clean shutdown (LevelDB closed) before killing. @default 5 s */
  stopTimeoutMs?: number
  /**
   * The store key, asked before every (re)start with why the previous core could not start
   * (null at first and after a core that was up). A data key is posted to the core and then
   * zeroed here. After `store-locked` (a wrong passphrase) the core restarts at once, the source
   * asking the user again; rejecting keeps the core down (`onFailed`).
   * @default the core's own default (a key file in dataDir)
   */
  storeKey?: (failure: ApiError | null) => Promise<StoreKeyInit>
}

export interface CoreHost<P> {
  start(): void
  /** Gives this window an API port after every (re)load of its page and every core restart. */
  attach(window: PortReceiver<P>): void
  /** Called each time a core (re)started and opened its store. */
  onReady(listener: (peerId: PeerIdString) => void): void
  /** Called each time the core serves a window's new port; events sent after this reach it. */
  onWindowConnected(listener: () => void): void
  /** Called when no store key could be had: the core stays down until `start` is called again. */
  onFailed(listener: (error: ApiError) => void): void
  stop(): Promise<void>
}

/** Main's own connection, distinct from every window's. */
const MAIN_CLIENT = 0

function apiErrorOf(err: unknown): ApiError {
  const code = (err as { code?: unknown } | null)?.code
  return { code: toErrorCode(code), message: messageOf(err) }
}

/**
 * Runs the core in a utility process and hands out API ports: one to main (for tray,
 * notifications and deep links) and one per window page load. Restarts a crashed core with
 * backoff; ports of a dead core are replaced, so a window receives a new one after a restart.
 */
export function createCoreHost<P extends MainMessagePort>(components: CoreHostComponents<P>, init: CoreHostInit): CoreHost<P> {
  const { fork, createChannel, toApiPort, api, log } = components
  const restartDelayMs = init.restartDelayMs ?? 500
  const maxRestartDelayMs = init.maxRestartDelayMs ?? 30_000
  const stableAfterMs = init.stableAfterMs ?? 60_000
  const stopTimeoutMs = init.stopTimeoutMs ?? 5_000

  const windows = new Map<PortReceiver<P>, { loaded: boolean }>()
  const windowClients = new Set<number>()
  const readyListeners: Array<(peerId: PeerIdString) => void> = []
  const connectedListeners: Array<() => void> = []
  const failedListeners: Array<(error: ApiError) => void> = []
  const exitWaiters: Array<() => void> = []
  let child: CoreProcess<P> | null = null
  let nextClientId = MAIN_CLIENT + 1
  let crashes = 0
  let readyAt: number | null = null
  let restartTimer: NodeJS.Timeout | undefined
  let stopping = false
  /** A store key is being fetched (the user may be typing a passphrase). */
  let fetchingKey = false
  /** Why the running core could not start, from its `failed` message. */
  let failure: ApiError | null = null

  const sendPort = (window: PortReceiver<P>): void => {
    if (child === null) return
    const { port1, port2 } = createChannel()
    const clientId = nextClientId++
    windowClients.add(clientId)
    child.postMessage({ type: 'connect', clientId }, [port1])
    window.postMessage(API_PORT_CHANNEL, null, [port2])
  }

  const onMessage = (message: CoreMessage): void => {
    switch (message.type) {
      case 'ready':
        readyAt = Date.now()
        failure = null
        log.info('core ready', { peerId: message.peerId, restarts: crashes })
        for (const listener of readyListeners) listener(message.peerId)
        return
      case 'failed':
        failure = message.error
        log.error('core could not start', { code: message.error.code, error: message.error.message })
        return
      case 'connected':
        if (!windowClients.delete(message.clientId)) return
        for (const listener of connectedListeners) listener()
    }
  }

  const onExit = (proc: CoreProcess<P>, code: number): void => {
    if (proc !== child) return
    child = null
    windowClients.clear()
    api.close()
    if (stopping) {
      for (const resolve of exitWaiters.splice(0)) resolve()
      return
    }
    if (readyAt !== null && Date.now() - readyAt >= stableAfterMs) crashes = 0
    // Died before it was up, saying nothing (its `failed` message may be lost in the exit).
    if (readyAt === null && failure === null) failure = { code: 'internal', message: `the core exited with code ${code} before it was ready` }
    readyAt = null
    if (failure?.code === 'store-locked' && init.storeKey !== undefined) {
      // Refused key: the key source asks again (a person types), or gives up; no backoff.
      log.warn('core exited: its store is locked; asking for the key again', { code })
      restartTimer = setTimeout(spawn, 0)
      return
    }
    const delay = Math.min(maxRestartDelayMs, restartDelayMs * 2 ** crashes)
    crashes++
    log.warn('core exited; restarting', { code, inMs: delay, restarts: crashes })
    restartTimer = setTimeout(spawn, delay)
  }

  const spawn = (): void => {
    restartTimer = undefined
    const previous = failure
    failure = null
    const source = init.storeKey
    if (source === undefined) {
      launch(undefined)
      return
    }
    fetchingKey = true
    source(previous).then((storeKey) => {
      fetchingKey = false
      if (stopping) {
        if (storeKey.kind === 'data-key') storeKey.key.fill(0)
        return
      }
      launch(storeKey)
    }, (err: unknown) => {
      fetchingKey = false
      const error = apiErrorOf(err)
      log.error('no store key; the core stays down', { code: error.code, error: error.message })
      for (const listener of failedListeners) listener(error)
    })
  }

  const launch = (storeKey: StoreKeyInit | undefined): void => {
    let proc: CoreProcess<P>
    try {
      proc = fork()
    } catch (err) {
      log.error('could not start the core process', { error: messageOf(err) })
      if (storeKey?.kind === 'data-key') storeKey.key.fill(0)
      return
    }
    child = proc
    proc.on('message', (message) => { if (isCoreMessage(message)) onMessage(message) })
    proc.on('exit', (code) => { onExit(proc, code) })
    try {
      proc.postMessage({ type: 'init', dataDir: init.dataDir, mdns: init.mdns, ...(storeKey === undefined ? {} : { storeKey }) })
    } finally {
      // postMessage has serialized (copied) it: main keeps no data key between starts.
      if (storeKey?.kind === 'data-key') storeKey.key.fill(0)
    }
    const { port1, port2 } = createChannel()
    proc.postMessage({ type: 'connect', clientId: MAIN_CLIENT }, [port1])
    api.attach(toApiPort(port2))
    for (const [window, state] of windows) if (state.loaded) sendPort(window)
  }

  return {
    start: () => {
      if (child === null && restartTimer === undefined && !fetchingKey && !stopping) spawn()
    },
    attach: (window) => {
      if (windows.has(window)) return
      const state = { loaded: false }
      windows.set(window, state)
      window.on('did-start-loading', () => { state.loaded = false })
      window.on('did-finish-load', () => {
        state.loaded = true
        sendPort(window)
      })
      window.once('destroyed', () => { windows.delete(window) })
    },
    onReady: (listener) => { readyListeners.push(listener) },
    onWindowConnected: (listener) => { connectedListeners.push(listener) },
    onFailed: (listener) => { failedListeners.push(listener) },
    stop: () => {
      stopping = true
      clearTimeout(restartTimer)
      restartTimer = undefined
      const proc = child
      if (proc === null) return Promise.resolve()
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn('core did not stop in time; killing it', { afterMs: stopTimeoutMs })
          proc.kill()
          resolve()
        }, stopTimeoutMs)
        exitWaiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
        proc.postMessage({ type: 'stop' })
      })
    }
  }
}
