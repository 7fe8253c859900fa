/**
 * What peers may hold of this device at once while it reads what they send: inbound Enclave
 * streams, and bytes of frames being read (a frame's whole declared length is reserved when its
 * length prefix arrives, before its body is read). A member gets room for its largest frames;
 * a stranger (no member here, while this device is in a workspace) gets a few KiB, and all
 * strangers together not much more, so a flood of throwaway ids cannot grow memory.
 * docs/protocol.md, Gating, describes the limits.
 */

/** How a peer stands when it opens a stream: a member here (or anyone, in no workspace), or a stranger. */
export type Standing = 'member' | 'stranger'

export interface ByteBudget {
  /** Takes `bytes` if the peer's budget and the shared one both have room; false leaves both as they were. */
  reserve(bytes: number): boolean
  release(bytes: number): void
}

/** One inbound stream's share: its peer's byte budget, and a slot to give back when the stream ends. */
export interface StreamGrant {
  readonly standing: Standing
  readonly bytes: ByteBudget
  /** Gives the stream slot back (the byte reservations are released by whoever reserved them). */
  end(): void
}

export interface Limits {
  /** Inbound streams open at once. */
  streams: number
  /** Bytes of frames being read at once. */
  bytes: number
}

export interface InboundBudgetsInit {
  /** Per member peer. @default 128 streams, 64 MiB (one whole doc frame of 48 MiB and then some) */
  member?: Limits
  /** All members together. @default no stream limit, 128 MiB */
  members?: Limits
  /** Per stranger. @default 4 streams, 16 KiB */
  stranger?: Limits
  /** All strangers together. @default 64 streams, 512 KiB */
  strangers?: Limits
}

export interface InboundBudgets {
  /** Claims a stream slot for `peer`; null when its own or its standing's shared budget is spent. */
  open(peer: string, standing: Standing): StreamGrant | null
  /** What a peer holds now (tests, logs). */
  held(peer: string): { streams: number; bytes: number }
}

const MiB = 1024 * 1024
export const DEFAULT_LIMITS = {
  member: { streams: 128, bytes: 64 * MiB },
  members: { streams: Number.POSITIVE_INFINITY, bytes: 128 * MiB },
  stranger: { streams: 4, bytes: 16 * 1024 },
  strangers: { streams: 64, bytes: 512 * 1024 }
} as const satisfies Required<InboundBudgetsInit>

export function createInboundBudgets(init: InboundBudgetsInit = {}): InboundBudgets {
  const limits = { ...DEFAULT_LIMITS, ...init }
  /** Per peer and standing; an entry goes when it holds nothing, so throwaway ids leave no trace. */
  const peers = new Map<string, { streams: number; bytes: number }>()
  const shared = { member: { streams: 0, bytes: 0 }, stranger: { streams: 0, bytes: 0 } }
  const key = (peer: string, standing: Standing): string => `${standing}:${peer}`
  const own = (peer: string, standing: Standing): { streams: number; bytes: number } => {
    const k = key(peer, standing)
    let held = peers.get(k)
    if (held === undefined) { held = { streams: 0, bytes: 0 }; peers.set(k, held) }
    return held
  }
  const tidy = (peer: string, standing: Standing): void => {
    const held = peers.get(key(peer, standing))
    if (held !== undefined && held.streams === 0 && held.bytes === 0) peers.delete(key(peer, standing))
  }

  return {
    open: (peer, standing) => {
      const each = standing === 'member' ? limits.member : limits.stranger
      const all = standing === 'member' ? limits.members : limits.strangers
      const held = own(peer, standing)
      const total = shared[standing]
      if (held.streams >= each.streams || total.streams >= all.streams) { tidy(peer, standing); return null }
      held.streams++
      total.streams++
      let ended = false
      const bytes: ByteBudget = {
        reserve: (n) => {
          const mine = own(peer, standing)
          if (mine.bytes + n > each.bytes || total.bytes + n > all.bytes) return false
          mine.bytes += n
          total.bytes += n
          return true
        },
        release: (n) => {
          const mine = own(peer, standing)
          const freed = Math.min(n, mine.bytes)
          mine.bytes -= freed
          total.bytes -= freed
          tidy(peer, standing)
        }
      }
      return {
        standing,
        bytes,
        end: () => {
          if (ended) return
          ended = true
          const mine = own(peer, standing)
          mine.streams--
          total.streams--
          tidy(peer, standing)
        }
      }
    },
    held: (peer) => {
      const m = peers.get(key(peer, 'member')) ?? { streams: 0, bytes: 0 }
      const s = peers.get(key(peer, 'stranger')) ?? { streams: 0, bytes: 0 }
      return { streams: m.streams + s.streams, bytes: m.bytes + s.bytes }
    }
  }
}

const grants = new WeakMap<object, StreamGrant>()

/**
 * Ties a grant to the inbound stream it was made for: the frame reader reserves from it, and
 * request handlers read the asker's standing from it, without every protocol passing it along.
 */
export function attachGrant(stream: object, grant: StreamGrant): void {
  grants.set(stream, grant)
}

/** The grant of an inbound stream opened through the protocol host; none for outbound streams. */
export function grantOf(stream: object): StreamGrant | undefined {
  return grants.get(stream)
}
