import type { FillSource } from './search-index.js'

/** Several sources as one: the index fills from all of them, newest hour first across them all. */
export function mergeSources(sources: readonly FillSource[]): FillSource {
  const tag = (i: number, id: string): string => `${i}|${id}`
  return {
    groups: () => sources.flatMap((s, i) => s.groups().map((g) => ({ id: tag(i, g.id), hour: g.hour }))),
    read: async (groups) => {
      const parts = await Promise.all(sources.map((s, i) => {
        const mine = groups.flatMap((g) => (g.id.startsWith(`${i}|`) ? [{ id: g.id.slice(`${i}|`.length), hour: g.hour }] : []))
        return mine.length === 0 ? Promise.resolve([]) : s.read(mine)
      }))
      return parts.flat()
    }
  }
}
