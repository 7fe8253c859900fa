import { channelPeople, personName } from './channel-people'
import { workspaces } from './workspaces.svelte'
import type { ConversationView, PeerIdString } from '../../src/api/contract'

/** Someone the composer offers after `@`: a person (all their devices here), or everyone. */
export interface MentionCandidate {
  /** The member's user id (what the directory finds), else the device. */
  key: string
  name: string
  devices: readonly PeerIdString[]
  all?: true
}

/** Offered at most. */
const SHOWN = 8

/**
 * Who `@query` may mean in a conversation: its people (not oneself, not those still to be added),
 * by name, and through the workspace directory by pinyin and initials (张伟 for "zw" or
 * "zhangwei"); `@all` for the channel's managers. Best first.
 */
export async function mentionCandidates(c: ConversationView, query: string, allName: string): Promise<MentionCandidate[]> {
  const people: MentionCandidate[] = c.kind === 'dm'
    ? c.peerId === null ? [] : [{ key: workspaces.membersByDevice.get(c.peerId)?.userId ?? c.peerId, name: personName(c.peerId), devices: [c.peerId] }]
    : channelPeople(c).filter((p) => !p.me && !p.pending).map((p) => ({ key: p.key, name: p.name, devices: p.devices }))
  const q = query.toLowerCase()
  const everyone: MentionCandidate[] = c.kind === 'channel' && c.canManage && (allName.toLowerCase().startsWith(q) || 'all'.startsWith(q)) ? [{ key: '@all', name: allName, devices: [], all: true }] : []
  if (q === '') return [...everyone, ...people].slice(0, SHOWN)
  const byName = people.filter((p) => p.name.toLowerCase().includes(q))
  let byDirectory: MentionCandidate[] = []
  // A DM begun before its two people shared a workspace has none of its own: the one on screen.
  const ws = c.workspaceId ?? workspaces.selected?.id ?? null
  if (ws !== null) {
    try {
      const found = await workspaces.search(ws, query, null, 20)
      const rank = new Map(found.map((m, i) => [m.userId as string, i]))
      byDirectory = people.filter((p) => rank.has(p.key)).sort((a, b) => (rank.get(a.key) ?? 0) - (rank.get(b.key) ?? 0))
    } catch {
      // The directory is a help for pinyin; names alone still match.
    }
  }
  const seen = new Set<string>()
  return [...everyone, ...byName, ...byDirectory].filter((p) => !seen.has(p.key) && seen.add(p.key)).slice(0, SHOWN)
}
