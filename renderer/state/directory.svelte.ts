import { errorMessage } from './errors'
import { workspaces } from './workspaces.svelte'
import type { DepartmentId, MemberView, UserId, WorkspaceId } from '../../src/api/contract'

/** Typing pauses this long before the core is asked; each keystroke restarts the wait. */
const DEBOUNCE_MS = 120
/** The core caps a search at 500 hits; a person types more rather than scrolls that far. */
const SEARCH_LIMIT = 200

/**
 * The directory's query and department filter, and what they find. With no query the list is
 * the department's members from the member list; with one, the core's ranked search.
 */
class DirectoryState {
  query = $state('')
  private chosenDepartment = $state<DepartmentId | null>(null)
  /** The filter, as long as the department still exists in the selected workspace. */
  departmentId = $derived(this.chosenDepartment !== null && workspaces.departmentNames.has(this.chosenDepartment) ? this.chosenDepartment : null)
  error = $state('')
  private hits = $state.raw<{ workspaceId: WorkspaceId; userIds: readonly UserId[] } | null>(null)
  private timer: ReturnType<typeof setTimeout> | undefined
  private latest = 0

  /** Search hits are mapped onto the current member list, so edits and removals show at once. */
  results = $derived.by<readonly MemberView[]>(() => {
    if (this.query.trim() === '') return workspaces.membersIn(this.departmentId)
    const hits = this.hits
    if (hits === null || hits.workspaceId !== workspaces.selected?.id) return []
    return hits.userIds.flatMap((id) => {
      const m = workspaces.membersById.get(id)
      return m === undefined ? [] : [m]
    })
  })

  setQuery(query: string): void {
    this.query = query
    clearTimeout(this.timer)
    if (query.trim() === '') {
      this.hits = null
      this.error = ''
      return
    }
    this.timer = setTimeout(() => { void this.run() }, DEBOUNCE_MS)
  }

  setDepartment(id: DepartmentId | null): void {
    this.chosenDepartment = id
    if (this.query.trim() !== '') {
      clearTimeout(this.timer)
      void this.run()
    }
  }

  private async run(): Promise<void> {
    const ws = workspaces.selected
    if (ws === null) return
    // Answers can overtake each other; only the newest question's answer is shown.
    const asked = ++this.latest
    try {
      const found = await workspaces.search(ws.id, this.query.trim(), this.departmentId, SEARCH_LIMIT)
      if (asked !== this.latest) return
      this.hits = { workspaceId: ws.id, userIds: found.map((m) => m.userId) }
      this.error = ''
    } catch (err) {
      if (asked === this.latest) this.error = errorMessage(err)
    }
  }
}

export const directory = new DirectoryState()
