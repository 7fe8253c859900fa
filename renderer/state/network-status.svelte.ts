import { errorMessage } from './errors'
import { session } from './session.svelte'
import type { NodeInfo, RelayStatusView } from '../../src/api/contract'

/** How often an open Connection view asks the core again. */
export const NETWORK_REFRESH_MS = 3000

/**
 * This device's addresses (they change as relay reservations come and go), the relays it uses
 * and its connection counts, for a view while it is open: `watch()` asks at once and then every
 * few seconds, until the function it returns is called.
 */
export class NetworkStatus {
  info = $state.raw<NodeInfo | null>(session.info)
  relay = $state.raw<RelayStatusView | null>(null)
  /** Why the last refresh failed, in words; empty once one succeeds. */
  error = $state('')
  private inFlight = false
  private stopped = false

  async refresh(): Promise<void> {
    // A slow core is not asked again while it is still answering.
    if (this.inFlight) return
    this.inFlight = true
    try {
      const api = session.api
      const [info, relay] = await Promise.allSettled([api.call('node.info', {}), api.call('relay.status', {})])
      if (this.stopped) return
      if (info.status === 'fulfilled') this.info = info.value
      if (relay.status === 'fulfilled') this.relay = relay.value
      const failed = [info, relay].find((r) => r.status === 'rejected')
      this.error = failed === undefined ? '' : errorMessage(failed.reason)
    } catch (err) {
      // Not connected to the core at all.
      if (!this.stopped) this.error = errorMessage(err)
    } finally {
      this.inFlight = false
    }
  }

  /** Refreshes now and every `intervalMs`; call the result to stop (the view closed). */
  watch(intervalMs = NETWORK_REFRESH_MS): () => void {
    this.stopped = false
    void this.refresh()
    const timer = setInterval(() => { void this.refresh() }, intervalMs)
    return () => {
      this.stopped = true
      clearInterval(timer)
    }
  }
}
