import { errorMessage } from './errors'
import { session } from './session.svelte'
import type { NetHealthView } from '../../src/api/contract'

/**
 * This device's connection health for a view while it is open: its addresses (they change as
 * relay reservations come and go), the relays it uses, connection counts and recent failures.
 * `watch()` asks once and then follows the core's `net.healthChanged` events until the function
 * it returns is called; nothing is polled.
 */
export class NetworkStatus {
  health = $state.raw<NetHealthView | null>(null)
  /** Why asking failed, in words; empty once an answer or an event arrived. */
  error = $state('')

  async refresh(): Promise<void> {
    try {
      const health = await session.api.call('net.health', {})
      this.health = health
      this.error = ''
    } catch (err) {
      this.error = errorMessage(err)
    }
  }

  /** Keeps a relay for this device from now on (an address from the admin); the list shows it at once. */
  async addRelay(address: string): Promise<void> {
    this.health = await session.api.call('net.addRelay', { address: address.trim() })
  }

  /** Asks now and follows every change; call the result to stop (the view closed). */
  watch(): () => void {
    let stopped = false
    const off = session.api.on('net.healthChanged', (health) => {
      if (stopped) return
      this.health = health
      this.error = ''
    })
    void this.refresh()
    return () => {
      stopped = true
      off()
    }
  }
}
