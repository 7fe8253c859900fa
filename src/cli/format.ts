import type { MessageView, PeerView } from '../api/contract.js'

/** Human-readable lines for the friendly verbs; scripts use --json instead. */
export function formatMessage(m: MessageView): string {
  const time = new Date(m.sentAt).toISOString().replace('T', ' ').slice(0, 19)
  const who = m.mine ? 'me' : m.author.slice(-8)
  const state = m.mine ? ` [${m.state}]` : ''
  return `${time} ${who}: ${m.text}${state}`
}

export function formatPeer(p: PeerView): string {
  const status = p.connected ? 'connected' : p.lastSeen === null ? 'never seen' : `offline since ${new Date(p.lastSeen).toISOString()}`
  return `${p.peerId} ${status}${p.addresses.length > 0 ? `\n  ${p.addresses.join('\n  ')}` : ''}`
}
