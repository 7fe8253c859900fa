import type { FileView, ConversationView, MessageView, PeerView, NetHealthView } from '../api/contract.js'

/** Human-readable lines for the friendly verbs; scripts use --json instead. */
export function formatMessage(m: MessageView): string {
  const time = new Date(m.sentAt).toISOString().replace('T', ' ').slice(0, 19)
  const who = m.mine ? 'me' : m.author.slice(-8)
  const state = m.mine ? ` [${m.state}]` : ''
  return `${time} ${who}: ${m.text}${state}`
}

export function formatFile(f: FileView): string {
  const have = f.state === 'complete' ? 'here' : `${formatBytes(f.haveBytes)} here, ${f.state}${f.error === null ? '' : ` (${f.error})`}`
  return `${f.messageId}  ${f.name}  ${formatBytes(f.size)}  ${have}`
}

/** One progress line: percentage, speed and time left. */
export function formatProgress(f: FileView): string {
  const pct = f.size === 0 ? 100 : Math.floor((f.haveBytes / f.size) * 100)
  const eta = f.etaSeconds === null ? '' : `, ${f.etaSeconds} s left`
  return `${f.name}: ${pct}% of ${formatBytes(f.size)}, ${formatBytes(f.bytesPerSecond)}/s${eta}`
}

export function formatPeer(p: PeerView): string {
  const status = p.connected ? 'connected' : p.lastSeen === null ? 'never seen' : `offline since ${new Date(p.lastSeen).toISOString()}`
  return `${p.peerId} ${status}${p.addresses.length > 0 ? `\n  ${p.addresses.join('\n  ')}` : ''}`
}

export function formatConversation(c: ConversationView): string {
  const title = c.kind === 'channel' ? `#${c.name ?? '(name not known yet)'}` : `DM with ${c.peerId ?? '?'}`
  const notes = [
    `${c.members.length} members`,
    c.status === 'active' ? null : c.status,
    c.archived ? 'archived' : null,
    c.unread > 0 ? `${c.unread} unread` : null,
    c.waiting > 0 ? `${c.waiting} waiting for keys` : null
  ].filter((n) => n !== null)
  return `${c.id} ${title} (${notes.join(', ')})`
}

export function formatNetHealth(s: NetHealthView): string {
  const lines = [
    s.serving ? `relay: serving, ${s.reservations.length} reservations, ${s.circuits} circuits open (${s.circuitsTotal} since start), ${formatBytes(s.bytesRelayed)} relayed` : 'relay: not serving',
    `connections: ${s.connections} (${s.relayedConnections} relayed)`,
    ...s.reservations.map((r) => `  reserved by ${r.peerId} until ${new Date(r.expiresAt).toISOString()}`),
    ...s.relays.map((r) => `uses ${r.address}: ${r.reserved ? 'reserved' : 'no reservation yet'}`)
  ]
  return lines.join('\n')
}

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i] ?? 'B'}`
}
