/** The company's org tree (M5), built from department records replicated through the log. */
export interface Department {
  id: string
  /** null for a top-level department. */
  parentId: string | null
  name: string
  /** Position among siblings, lowest first; ties fall back to the name. */
  order: number
}

/**
 * A read-only view of the tree. Departments handed out carry their effective parent: a
 * department whose parent is unknown, or which was cut out of a cycle, has `parentId: null`.
 */
export interface DepartmentTree {
  /** Top-level departments, sorted like siblings. */
  roots(): readonly Department[]
  /** Direct children sorted by order, then name, then id; empty for an unknown id. */
  children(id: string): readonly Department[]
  get(id: string): Department | undefined
  /** From the root down to the department itself; empty for an unknown id. */
  path(id: string): readonly Department[]
  /** 0 for a root; undefined for an unknown id. */
  depth(id: string): number | undefined
  /** Every department below this one, depth-first in sibling order, excluding itself. */
  descendants(id: string): readonly Department[]
  /** True when `ancestor` lies strictly above `id`; a department is not its own ancestor. */
  isAncestor(ancestor: string, id: string): boolean
  readonly size: number
}

interface Node {
  dept: Department
  parent: Node | null
  children: Node[]
  depth: number
  /** Position in the depth-first order; the subtree spans [enter, exit). */
  enter: number
  exit: number
}

const collator = new Intl.Collator('zh-CN')

function compareSiblings(a: Node, b: Node): number {
  return a.dept.order - b.dept.order || collator.compare(a.dept.name, b.dept.name) || (a.dept.id < b.dept.id ? -1 : a.dept.id > b.dept.id ? 1 : 0)
}

/**
 * Follows parent links once per department, so the whole pass is O(n) even for long chains.
 * A cycle (possible when two admins move departments concurrently) is broken at the member whose
 * id sorts lowest by code unit, so every peer cuts the same link whatever order records came in.
 */
function breakCycles(nodes: Map<string, Node>, parentOf: Map<string, string | null>): void {
  const state = new Map<string, 'walking' | 'done'>()
  for (const start of nodes.keys()) {
    if (state.has(start)) continue
    const walk: string[] = []
    let id: string | null = start
    while (id !== null && !state.has(id)) {
      state.set(id, 'walking')
      walk.push(id)
      id = parentOf.get(id) ?? null
    }
    if (id !== null && state.get(id) === 'walking') {
      const cycle = walk.slice(walk.indexOf(id))
      const lowest = cycle.reduce((min, c) => (c < min ? c : min))
      parentOf.set(lowest, null)
    }
    for (const w of walk) state.set(w, 'done')
  }
}

export function createDepartmentTree(departments: readonly Department[]): DepartmentTree {
  // Later records win: the log replays edits in order.
  const latest = new Map<string, Department>()
  for (const d of departments) latest.set(d.id, d)

  const parentOf = new Map<string, string | null>()
  for (const d of latest.values()) {
    const known = d.parentId !== null && d.parentId !== d.id && latest.has(d.parentId)
    parentOf.set(d.id, known ? d.parentId : null)
  }
  const nodes = new Map<string, Node>()
  for (const d of latest.values()) nodes.set(d.id, { dept: d, parent: null, children: [], depth: 0, enter: 0, exit: 0 })
  breakCycles(nodes, parentOf)

  const rootNodes: Node[] = []
  for (const node of nodes.values()) {
    const parentId = parentOf.get(node.dept.id) ?? null
    const parent = parentId === null ? undefined : nodes.get(parentId)
    node.dept = Object.freeze({ ...node.dept, parentId: parent === undefined ? null : parentId })
    if (parent === undefined) rootNodes.push(node)
    else {
      node.parent = parent
      parent.children.push(node)
    }
  }
  rootNodes.sort(compareSiblings)
  for (const node of nodes.values()) node.children.sort(compareSiblings)

  // Iterative depth-first walk: a deep chain must not overflow the call stack.
  const order: Node[] = []
  const stack: Array<{ node: Node; next: number }> = []
  for (const root of rootNodes) {
    root.enter = order.length
    order.push(root)
    stack.push({ node: root, next: 0 })
    for (let top = stack.at(-1); top !== undefined; top = stack.at(-1)) {
      const child = top.node.children[top.next++]
      if (child === undefined) {
        top.node.exit = order.length
        stack.pop()
        continue
      }
      child.depth = top.node.depth + 1
      child.enter = order.length
      order.push(child)
      stack.push({ node: child, next: 0 })
    }
  }

  const depts = (list: readonly Node[]): Department[] => list.map((n) => n.dept)
  const roots = depts(rootNodes)

  return {
    roots: () => roots,
    children: (id) => depts(nodes.get(id)?.children ?? []),
    get: (id) => nodes.get(id)?.dept,
    path: (id) => {
      const out: Department[] = []
      for (let n = nodes.get(id) ?? null; n !== null; n = n.parent) out.push(n.dept)
      return out.reverse()
    },
    depth: (id) => nodes.get(id)?.depth,
    descendants: (id) => {
      const n = nodes.get(id)
      return n === undefined ? [] : depts(order.slice(n.enter + 1, n.exit))
    },
    isAncestor: (ancestor, id) => {
      const a = nodes.get(ancestor)
      const n = nodes.get(id)
      return a !== undefined && n !== undefined && a !== n && a.enter < n.enter && n.exit <= a.exit
    },
    size: nodes.size
  }
}
