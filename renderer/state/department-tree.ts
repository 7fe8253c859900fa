import type { DepartmentId, DepartmentView } from '../../src/api/contract'

/** One line of a department tree as a view draws it. */
export interface DepartmentRow {
  department: DepartmentView
  /** 0 for a top-level department. */
  depth: number
  hasChildren: boolean
  expanded: boolean
}

/** Departments by parent (null: top level), siblings sorted like the core sorts them. */
export type DepartmentChildren = ReadonlyMap<string | null, readonly DepartmentView[]>

const collator = new Intl.Collator('zh-CN')

export function childrenByParent(departments: readonly DepartmentView[]): DepartmentChildren {
  const ids = new Set(departments.map((d) => d.id))
  const map = new Map<string | null, DepartmentView[]>()
  const add = (parent: string | null, d: DepartmentView): void => {
    const list = map.get(parent) ?? []
    list.push(d)
    map.set(parent, list)
  }
  // A parent that is gone (deleted, or not synced yet) puts the department at the top, so it is not lost.
  for (const d of departments) add(d.parentId !== null && ids.has(d.parentId) ? d.parentId : null, d)
  // A cycle (two admins moving departments at once) is unreachable from the top: cut it at the
  // department whose id sorts lowest, as the core does, until everything hangs off the top.
  const reached = new Set<string>()
  const reach = (from: string | null): void => {
    for (const id of subtreeIds(map, from)) if (id !== null) reached.add(id)
  }
  reach(null)
  const byId = new Map(departments.map((d) => [d.id, d]))
  const onCycle = (d: DepartmentView): boolean => {
    const walked = new Set<string>()
    for (let at = d.parentId; at !== null && !walked.has(at); at = byId.get(at)?.parentId ?? null) {
      if (at === d.id) return true
      walked.add(at)
    }
    return false
  }
  for (const d of [...departments].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (reached.has(d.id) || d.parentId === null || !onCycle(d)) continue
    const siblings = map.get(d.parentId) ?? []
    map.set(d.parentId, siblings.filter((s) => s.id !== d.id))
    add(null, d)
    reach(d.id)
  }
  for (const list of map.values()) list.sort((a, b) => a.order - b.order || collator.compare(a.name, b.name) || a.id.localeCompare(b.id))
  return map
}

/**
 * Depth-first rows, descending only into expanded departments (`'all'`: every one). Iterative,
 * so a tree thousands of levels deep cannot overflow the stack.
 */
export function treeRows(children: DepartmentChildren, expanded: ReadonlySet<string> | 'all'): DepartmentRow[] {
  const rows: DepartmentRow[] = []
  const stack = [...(children.get(null) ?? [])].reverse().map((department) => ({ department, depth: 0 }))
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const kids = children.get(next.department.id) ?? []
    const open = expanded === 'all' || expanded.has(next.department.id)
    rows.push({ department: next.department, depth: next.depth, hasChildren: kids.length > 0, expanded: open && kids.length > 0 })
    if (open) for (const department of [...kids].reverse()) stack.push({ department, depth: next.depth + 1 })
  }
  return rows
}

/** The department and every department below it (`null`: the whole tree). */
export function subtreeIds(children: DepartmentChildren, id: string | null): Set<string | null> {
  const ids = new Set<string | null>([id])
  const stack: Array<string | null> = [id]
  for (let at = stack.pop(); at !== undefined; at = stack.pop()) {
    for (const child of children.get(at) ?? []) {
      if (ids.has(child.id)) continue
      ids.add(child.id)
      stack.push(child.id)
    }
  }
  return ids
}

/** Ids from the top of the tree down to the department's parent. */
export function ancestorIds(departments: readonly DepartmentView[], id: DepartmentId): DepartmentId[] {
  const byId = new Map(departments.map((d) => [d.id, d]))
  const path: DepartmentId[] = []
  let parent = byId.get(id)?.parentId ?? null
  while (parent !== null && !path.includes(parent) && byId.has(parent)) {
    path.unshift(parent)
    parent = byId.get(parent)?.parentId ?? null
  }
  return path
}
