import { connectToCore } from '../api'
import { ApiCallError, type ApiClient } from '../../src/api/api-client'
import type { ChosenPresence, ErrorCode, NodeInfo, ProfileView } from '../../src/api/contract'

const RECONNECT_MS = 2000

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected' | 'unauthorized'

/**
 * The connection to this device's core, and who this device is. Every other state module
 * reaches the API through `session.api` once `status` is `connected`.
 */
class SessionState {
  status = $state<ConnectionStatus>('connecting')
  info = $state.raw<NodeInfo | null>(null)
  profile = $state.raw<ProfileView | null>(null)
  private client: ApiClient | null = null
  private readonly ready: Array<(api: ApiClient) => void> = []

  get api(): ApiClient {
    if (this.client === null) throw new ApiCallError({ code: 'node-not-running', message: 'not connected' })
    return this.client
  }

  /** Registers work to run each time a connection is established (load data, subscribe). */
  onConnected(fn: (api: ApiClient) => void): void {
    this.ready.push(fn)
    if (this.client !== null) fn(this.client)
  }

  async connect(): Promise<void> {
    if (this.status !== 'disconnected') this.status = 'connecting'
    let api: ApiClient
    try {
      api = await connectToCore()
    } catch (err) {
      this.status = err instanceof ApiCallError && err.code === 'unauthorized' && this.info === null ? 'unauthorized' : 'disconnected'
      if (this.info !== null) setTimeout(() => { void this.connect() }, RECONNECT_MS)
      return
    }
    api.onClose(() => {
      this.client = null
      this.status = 'disconnected'
      // Electron hands over a new port at once; a browser tab retries in case the node is back
      // with the same token (a dropped socket), and otherwise shows why it cannot.
      setTimeout(() => { void this.connect() }, RECONNECT_MS)
    })
    api.on('profile.changed', (p) => { this.profile = p })
    const [info, profile] = await Promise.all([api.call('node.info', {}), api.call('profile.get', {})])
    this.client = api
    this.info = info
    this.profile = profile
    this.status = 'connected'
    for (const fn of this.ready) fn(api)
  }

  async setName(displayName: string): Promise<void> {
    this.profile = await this.api.call('profile.set', { displayName })
  }

  async setPresence(presence: ChosenPresence): Promise<void> {
    this.profile = await this.api.call('profile.set', { presence })
  }
}

export const session = new SessionState()

/** The error code of anything an API call threw. */
export function errorCode(err: unknown): ErrorCode {
  return err instanceof ApiCallError ? err.code : 'internal'
}
