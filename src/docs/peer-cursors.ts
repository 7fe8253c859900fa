import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import type { DocId } from '../api/contract.js'

/** Awareness entries kept per peer and doc: a shell has a few; more is someone misbehaving. */
const MAX_CLIENTS = 64

/**
 * Which awareness clients (cursors) each peer announced in each doc, so that when the peer goes
 * away its cursors vanish at once instead of after y-protocols' 30 s timeout. Reads the
 * y-protocols awareness update format: count, then (clientID, clock, JSON state) per entry.
 */
export interface PeerCursors {
  /** Notes the clients in an awareness update `peer` sent for `doc`; false if it is malformed. */
  seen(peer: string, doc: DocId, update: Uint8Array): boolean
  /** Awareness updates that remove everything `peer` announced, per doc; forgets the peer. */
  gone(peer: string): Array<{ doc: DocId; update: Uint8Array }>
}

export function createPeerCursors(): PeerCursors {
  const byPeer = new Map<string, Map<DocId, Map<number, number>>>()
  return {
    seen: (peer, doc, update) => {
      try {
        const decoder = decoding.createDecoder(update)
        const count = decoding.readVarUint(decoder)
        const docs = byPeer.get(peer) ?? new Map<DocId, Map<number, number>>()
        const clients = docs.get(doc) ?? new Map<number, number>()
        for (let i = 0; i < count; i++) {
          const client = decoding.readVarUint(decoder)
          const clock = decoding.readVarUint(decoder)
          const state = decoding.readVarString(decoder)
          if (state === 'null') clients.delete(client)
          else if (clients.has(client) || clients.size < MAX_CLIENTS) clients.set(client, clock)
        }
        docs.set(doc, clients)
        byPeer.set(peer, docs)
        return true
      } catch {
        return false
      }
    },
    gone: (peer) => {
      const docs = byPeer.get(peer)
      byPeer.delete(peer)
      return [...docs ?? []].filter(([, clients]) => clients.size > 0).map(([doc, clients]) => {
        const encoder = encoding.createEncoder()
        encoding.writeVarUint(encoder, clients.size)
        for (const [client, clock] of clients) {
          encoding.writeVarUint(encoder, client)
          encoding.writeVarUint(encoder, clock + 1)
          encoding.writeVarString(encoder, 'null')
        }
        return { doc, update: encoding.toUint8Array(encoder) }
      })
    }
  }
}
