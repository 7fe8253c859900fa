import { connectToCore } from '../api'
import { ApiCallError, type ApiClient } from '../../src/api/api-client'
import type { ChosenPresence, ErrorCode, NodeInfo, ProfileView, QuietHours } from '../../src/api/contract'

/** How often a window that lost its core tries again. */
const RECONNECT_MS = 1000
/** After this long the reconnecting banner also says what to do if the node does not come back. */
const LONG_OUTAGE_MS = 20_000

/**
 * `reconnecting`: the core went away after this window had it (a restarted node, a dropped
 * socket); the app stays as it was and retries by itself. `disconnected`: it never had one.
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'disconnected' | 'unauthorized'

/**
 * The connection to this device's core, and who this device is. Every other state module
 * reaches the API through `session.api` once `status` is `connected`.
 */
class SessionState {
  status = $state<ConnectionStatus>('connecting')
  info = $state.raw<NodeInfo | null>(null)
  profile = $state.raw<ProfileView | null>(null)
  /** When the current outage began (ms), or null while connected. */
  lostAt = $state<number | null>(null)
  /** The outage has lasted long enough to say what to do if the node does not come back. */
  longOutage = $state(false)
  private client: ApiClient | null = null
  private readonly ready: Array<(api: ApiClient) => void> = []
  private longTimer: ReturnType<typeof setTimeout> | undefined

  get api(): ApiClient {
    if (this.client === null) throw new ApiCallError({ code: 'node-not-running', message: 'not connected' })
    return this.client
  }

  /** Registers work to run each time a connection is established (load data, subscribe). */
  onConnected(fn: (api: ApiClient) => void): void {
    this.ready.push(fn)
    if (this.client !== null) fn(this.client)
  }

  /** Has this window had its core before? Then it keeps showing the app while it reconnects. */
  get everConnected(): boolean {
    return this.info !== null
  }

  async connect(): Promise<void> {
    if (!this.everConnected) this.status = 'connecting'
    let api: ApiClient
    let info: NodeInfo
    let profile: ProfileView
    try {
      api = await connectToCore()
      api.on('profile.changed', (p) => { this.profile = p })
      ;[info, profile] = await Promise.all([api.call('node.info', {}), api.call('profile.get', {})])
    } catch (err) {
      if (!this.everConnected) {
        this.status = err instanceof ApiCallError && err.code === 'unauthorized' ? 'unauthorized' : 'disconnected'
        return
      }
      // The node is still down (or restarting): the browser shell comes back on the same port
      // with the same token, so trying again is all it takes.
      setTimeout(() => { void this.connect() }, RECONNECT_MS)
      return
    }
    api.onClose(() => {
      if (this.client !== api) return
      this.client = null
      this.lost()
      // Electron hands over a new port at once; a browser tab retries until the node is back.
      setTimeout(() => { void this.connect() }, RECONNECT_MS)
    })
    this.client = api
    this.info = info
    this.profile = profile
    this.status = 'connected'
    this.lostAt = null
    this.longOutage = false
    clearTimeout(this.longTimer)
    for (const fn of this.ready) fn(api)
  }

  private lost(): void {
    this.status = 'reconnecting'
    this.lostAt = Date.now()
    clearTimeout(this.longTimer)
    this.longTimer = setTimeout(() => { this.longOutage = true }, LONG_OUTAGE_MS)
  }

  async setName(displayName: string): Promise<void> {
    this.profile = await this.api.call('profile.set', { displayName })
  }

  async setPresence(presence: ChosenPresence): Promise<void> {
    this.profile = await this.api.call('profile.set', { presence })
  }

  /** Do-not-disturb hours on this device (null: none). */
  async setQuietHours(quietHours: QuietHours | null): Promise<void> {
    this.profile = await this.api.call('profile.set', { quietHours })
  }
}

export const session = new SessionState()

/** The error code of anything an API call threw. */
export function errorCode(err: unknown): ErrorCode {
  return err instanceof ApiCallError ? err.code : 'internal'
}
