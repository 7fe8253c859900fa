import { EnclaveError, errorMessage } from '../errors.js'
import { coalescedTask } from '../coalesced-task.js'
import { memberOfDevice, type InviteRecord, type MembershipState } from '../identity/membership-state.js'
import { commitmentOf, openSealed, type ContactValue, type Sealed, type SealedValue } from '../identity/sealed-fields.js'
import { strangerRefusal } from '../net/refuse-stream.js'
import { MAX_SEALED_WANT, requestSealed, SEALED_PROTOCOL, serveSealed } from './sealed-protocol.js'
import { workspaceView } from './workspace-views.js'
import type { CoreBus } from '../core-events.js'
import type { Emit, PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { ProtocolHost } from '../net/protocol-host.js'
import type { Store } from '../store/store.js'
import type { WorkspaceRegistry } from './workspace-registry.js'

export interface SealedValuesComponents {
  store: Store
  registry: WorkspaceRegistry
  protocols: ProtocolHost
  bus: CoreBus
  emit: Emit
  log: Logger
  self: PeerIdString
  /** Devices connected now. */
  connectedPeers(): PeerIdString[]
}

export interface SealedValuesInit {
  /** Timeout of one fetch. @default 10 s */
  fetchTimeoutMs?: number
}

export interface SealedValues {
  /** Keeps a value this device sealed (a profile it wrote, an invite it made), to show and serve. */
  keep(sealed: Sealed): Promise<void>
  /** A member's phone and email by the commitment their profile names; null until fetched (always for a guest). */
  contactOf(commitment: string | undefined): ContactValue | null
  /** Counts changes to the values held, for caches built from them. */
  version(): number
  /** An invite's secret hash: inline in old ops, else fetched by its commitment; null until then. */
  secretHashOf(invite: InviteRecord): string | null
  /** Loads kept values the logs name, and starts fetching missing ones. */
  start(): Promise<void>
  stop(): void
}

/** Is `device` an active member of the workspace who is not a guest? Only such devices hold or get sealed values. */
function mayKnow(state: MembershipState, device: string): boolean {
  const m = memberOfDevice(state, device)
  return m !== undefined && m.status === 'active' && m.role !== 'guest'
}

/**
 * Commitments the log names that are still of use: current profiles' contacts, and open
 * invites' secrets (a redeemed, revoked or expired invite's secret hash helps nobody).
 */
function namedIn(state: MembershipState, now: number): Set<string> {
  const out = new Set<string>()
  for (const m of state.members.values()) if (m.profile.contact !== undefined) out.add(m.profile.contact)
  for (const i of state.invites.values()) {
    if (i.secretSealed !== null && i.redeemedBy.length < i.maxUses && !i.revoked && i.expiresAt > now) out.add(i.secretSealed)
  }
  return out
}

/**
 * Sealed values (src/identity/sealed-fields.ts): what the membership log commits to without
 * carrying, so a guest who holds the whole log still learns no phone, email or invite secret
 * hash. A device that is an active non-guest member fetches them from others like it, checks
 * each against the commitment in the signed op, keeps them sealed at rest, and serves them to
 * such members only. A device that becomes a guest drops the values of that workspace.
 */
export async function createSealedValues(components: SealedValuesComponents, init: SealedValuesInit = {}): Promise<SealedValues> {
  const { store, registry, protocols, log, self } = components
  const fetchTimeoutMs = init.fetchTimeoutMs ?? 10_000
  const collection = store.collection<{ bytes: string }>('sealedValues')
  const values = new Map<string, { bytes: Uint8Array; value: SealedValue }>()
  /** Devices that failed to give a workspace's values: asked again after a member (re)connects. */
  const failed = new Set<string>()
  /** Values this device sealed since it started: kept even before the op naming them is in the log. */
  const own = new Set<string>()
  const unsubscribe: Array<() => void> = []
  let stopped = false
  let version = 0

  /** Commitments of use to this device: named in a workspace where it may know them. */
  const wanted = (): Map<string, string[]> => {
    const now = Date.now()
    const out = new Map<string, string[]>()
    for (const w of registry.list()) {
      const state = w.log.state()
      if (!mayKnow(state, self)) continue
      out.set(w.record.ws, [...namedIn(state, now)])
    }
    return out
  }

  const lookup = (from: PeerIdString, ws: string, want: readonly string[]): Uint8Array[] => {
    const state = registry.get(ws)?.log.state()
    // A guest, a pending member and a stranger hear the same as for a workspace this device is not in.
    if (state === undefined || !mayKnow(state, from) || !mayKnow(state, self)) throw strangerRefusal()
    const named = namedIn(state, Date.now())
    return want.flatMap((c) => {
      const held = named.has(c) ? values.get(c) : undefined
      return held === undefined ? [] : [held.bytes]
    })
  }

  const keepBytes = async (commitment: string, bytes: Uint8Array, value: SealedValue): Promise<void> => {
    await collection.put(commitment, { bytes: Buffer.from(bytes).toString('base64') })
    values.set(commitment, { bytes, value })
    version++
  }

  const fetchFrom = async (peer: PeerIdString, ws: string, want: string[]): Promise<number> => {
    let got = 0
    for (let i = 0; i < want.length; i += MAX_SEALED_WANT) {
      const asked = new Set(want.slice(i, i + MAX_SEALED_WANT))
      const answer = await requestSealed(await protocols.dial(peer, SEALED_PROTOCOL, AbortSignal.timeout(fetchTimeoutMs)), ws, [...asked])
      for (const bytes of answer) {
        const commitment = commitmentOf(bytes)
        if (!asked.has(commitment)) {
          log.warn('refused a sealed value nobody asked for', { peer, ws, code: 'wrong-author' })
          continue
        }
        await keepBytes(commitment, bytes, openSealed(bytes, commitment))
        got++
      }
    }
    return got
  }

  /** Forgets what this device may no longer know (it became a guest, left) or nobody names any more. */
  const prune = async (keep: ReadonlySet<string>): Promise<void> => {
    for (const c of [...values.keys()]) {
      if (keep.has(c) || own.has(c)) continue
      values.delete(c)
      version++
      await collection.del(c)
    }
  }

  const pump = async (): Promise<void> => {
    const byWs = wanted()
    await prune(new Set([...byWs.values()].flat()))
    for (const [ws, named] of byWs) {
      const missing = named.filter((c) => !values.has(c))
      if (missing.length === 0) continue
      const state = registry.get(ws)?.log.state()
      if (state === undefined) continue
      const peers = components.connectedPeers().filter((p) => p !== self && !failed.has(`${ws}/${p}`) && mayKnow(state, p))
      let left = missing
      for (const peer of peers) {
        if (stopped || left.length === 0) break
        try {
          if (await fetchFrom(peer, ws, left) > 0) {
            const w = registry.get(ws)
            if (w !== undefined) components.emit('workspaces.changed', workspaceView(w))
          }
        } catch (err) {
          failed.add(`${ws}/${peer}`)
          log.debug('sealed values fetch failed', { peer, ws, code: err instanceof EnclaveError ? err.code : 'internal', error: errorMessage(err) })
        }
        left = left.filter((c) => !values.has(c))
      }
    }
  }

  const fetching = coalescedTask(pump, (err) => { log.warn('sealed values fetching failed', { error: errorMessage(err) }) })
  const schedule = (): void => { if (!stopped) fetching.run() }

  await protocols.handleMembers(SEALED_PROTOCOL, (stream, connection) => serveSealed(stream, connection, { log, lookup }))

  return {
    keep: async (sealed) => {
      own.add(sealed.commitment)
      await keepBytes(sealed.commitment, sealed.bytes, sealed.value)
    },
    contactOf: (commitment) => {
      const held = commitment === undefined ? undefined : values.get(commitment)?.value
      return held?.k === 'contact' ? held : null
    },
    version: () => version,
    secretHashOf: (invite) => {
      if (invite.secretHash !== null) return invite.secretHash
      const held = invite.secretSealed === null ? undefined : values.get(invite.secretSealed)?.value
      return held?.k === 'invite' ? held.secretHash : null
    },
    start: async () => {
      const keep = new Set([...wanted().values()].flat())
      for await (const [commitment, stored] of collection.entries()) {
        const bytes = new Uint8Array(Buffer.from(stored.bytes, 'base64'))
        try {
          if (!keep.has(commitment)) throw new EnclaveError('not-found', 'no longer named')
          values.set(commitment, { bytes, value: openSealed(bytes, commitment) })
        } catch {
          await collection.del(commitment)
        }
      }
      unsubscribe.push(
        components.bus.on('membership:changed', schedule),
        components.bus.on('peer:ready', (peer) => {
          for (const key of failed) if (key.endsWith(`/${peer}`)) failed.delete(key)
          schedule()
        })
      )
      schedule()
    },
    stop: () => {
      stopped = true
      fetching.stop()
      for (const off of unsubscribe) off()
    }
  }
}
