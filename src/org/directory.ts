import { createDepartmentTree } from './department-tree.js'
import { createDirectoryIndex, type DirectoryIndex } from './directory-search.js'
import type { Profile } from '../identity/membership-op.js'
import type { Workspace } from './workspace-registry.js'

export interface DirectoryQuery {
  query: string
  /** Only members of this department or any department below it. */
  departmentId?: string
  /** @default 50 */
  limit?: number
}

/**
 * Directory search per workspace. The index (pinyin and all) is brought up to date only when
 * the log's heads moved since the last search, and then only for members whose entry changed,
 * so a search costs the scan alone.
 */
export interface Directory {
  search(w: Workspace, q: DirectoryQuery): string[]
}

export interface DirectoryComponents {
  /** Phone and email as this device knows them (src/org/sealed-values.ts). */
  contactOf(profile: Profile): { phone?: string; email?: string }
  /** Changes whenever a contact becomes known or is forgotten, so the index is rebuilt. */
  contactsVersion(): number
}

export function createDirectory(components: DirectoryComponents): Directory {
  const indexes = new Map<string, { index: DirectoryIndex; heads: string; entries: Map<string, string> }>()

  const refresh = (w: Workspace): DirectoryIndex => {
    const heads = `${w.log.heads().join()}/${components.contactsVersion()}`
    let cached = indexes.get(w.record.ws)
    if (cached?.heads === heads) return cached.index
    cached ??= { index: createDirectoryIndex(), heads: '', entries: new Map() }
    const seen = new Set<string>()
    for (const m of w.log.state().members.values()) {
      if (m.status !== 'active') continue
      seen.add(m.userId)
      const contact = components.contactOf(m.profile)
      const entry = { userId: m.userId, name: m.profile.name, title: m.profile.title, email: contact.email, phone: contact.phone, departments: m.departments }
      const signature = JSON.stringify(entry)
      if (cached.entries.get(m.userId) === signature) continue
      cached.entries.set(m.userId, signature)
      cached.index.upsert(entry)
    }
    for (const userId of cached.entries.keys()) {
      if (seen.has(userId)) continue
      cached.entries.delete(userId)
      cached.index.remove(userId)
    }
    cached.heads = heads
    indexes.set(w.record.ws, cached)
    return cached.index
  }

  return {
    search: (w, q) => {
      const index = refresh(w)
      let departments: Set<string> | undefined
      if (q.departmentId !== undefined) {
        const tree = createDepartmentTree([...w.log.state().departments.values()])
        departments = new Set([q.departmentId, ...tree.descendants(q.departmentId).map((d) => d.id)])
      }
      return index.search(q.query, { limit: q.limit ?? 50, ...(departments === undefined ? {} : { departments }) }).map((hit) => hit.userId)
    }
  }
}
