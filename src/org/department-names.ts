import type { DepartmentId } from '../api/contract.js'

/** A department as the log and the API both give it. */
export interface NamedDepartment { id: DepartmentId; parentId: DepartmentId | null; name: string }

/** Names compared as people type them: full-width letters as narrow, any case, no spaces around. */
export const fold = (text: string): string => text.normalize('NFKC').trim().toLowerCase()

/** Finds a department by name or by path from the top (`Sales/East`), folded. */
export function departmentFinder(all: Iterable<NamedDepartment>): (wanted: string) => { id: DepartmentId } | { problem: 'unknown-department' | 'ambiguous-department' } {
  const byId = new Map([...all].map((d) => [d.id as string, d]))
  const pathOf = (d: NamedDepartment): string => {
    const names = [d.name]
    let parent = d.parentId === null ? undefined : byId.get(d.parentId)
    // A parent chain is short and acyclic in the log; the bound only guards against a bad one.
    for (let i = 0; parent !== undefined && i < 64; i++) {
      names.unshift(parent.name)
      parent = parent.parentId === null ? undefined : byId.get(parent.parentId)
    }
    return names.map(fold).join('/')
  }
  const departments = [...byId.values()].map((d) => ({ id: d.id, name: fold(d.name), path: pathOf(d) }))
  return (wanted) => {
    const key = wanted.split('/').map(fold).join('/')
    const matches = departments.filter((d) => (key.includes('/') ? d.path === key : d.name === key))
    if (matches.length === 1 && matches[0] !== undefined) return { id: matches[0].id }
    return { problem: matches.length === 0 ? 'unknown-department' : 'ambiguous-department' }
  }
}
