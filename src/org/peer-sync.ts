import { errorMessage } from '../errors.js'
import { peerIdOf } from '../ids.js'
import { MEMBERSHIP_PROTOCOL, syncFully, type SyncComponents } from './membership-sync.js'
import type { PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { NetNode } from '../net/libp2p-node.js'
import type { WorkspaceRegistry } from './workspace-registry.js'
import type { PeerId } from '@libp2p/interface'

export interface PeerSyncComponents {
  node: NetNode
  registry: WorkspaceRegistry
  log: Logger
  sync: SyncComponents
  /** A sync with the peer ended, however it ended. */
  onSettled(peer: PeerIdString): void
}

export interface PeerSync {
  /** Syncs every workspace with `peer`; resolves when done (failures are logged, never thrown). */
  sync: (peer: PeerId) => Promise<void>
  stop: () => void
}

/** Timeout of dialling one membership sync stream. */
const DIAL_TIMEOUT_MS = 15_000

/**
 * Membership syncs with peers, at most one at a time per peer. A call while a sync with that
 * peer runs makes it run once more when it ends: the running one may have listed its ops before
 * the change that called (a removal), which must not wait for the next connection.
 */
export function createPeerSync(components: PeerSyncComponents): PeerSync {
  const { node, registry, log } = components
  const running = new Map<string, { task: Promise<void>; again: boolean }>()
  let stopped = false

  const once = async (peer: PeerId, key: PeerIdString): Promise<void> => {
    if (registry.list().length === 0 || stopped) return
    try {
      // A big log takes several exchanges, each resuming from what arrived before.
      await syncFully(() => node.dialProtocol(peer, MEMBERSHIP_PROTOCOL, { signal: AbortSignal.timeout(DIAL_TIMEOUT_MS), runOnLimitedConnection: true }), () => (stopped ? [] : registry.list()), components.sync)
    } catch (err) {
      log.debug('membership sync failed', { peer: key, error: errorMessage(err) })
    }
    components.onSettled(key)
  }

  return {
    sync: (peer) => {
      const key = peerIdOf(peer)
      const current = running.get(key)
      if (current !== undefined) {
        current.again = true
        return current.task
      }
      const entry = { task: Promise.resolve(), again: false }
      const rerun = (): boolean => entry.again && !stopped
      entry.task = (async () => {
        do {
          entry.again = false
          await once(peer, key)
        } while (rerun())
      })().finally(() => { running.delete(key) })
      running.set(key, entry)
      return entry.task
    },
    stop: () => { stopped = true }
  }
}
