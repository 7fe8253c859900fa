import type { DocId } from '../../src/api/contract'
import { workspaces } from './workspaces.svelte'

export type View = 'chats' | 'docs' | 'directory' | 'admin'

/** Which view the main area shows, picked in the sidebar, and the doc opened over it. */
class NavigationState {
  private chosen = $state<View>('chats')
  /** The directory needs a workspace and the console admin rights; without them it is chats. */
  view = $derived.by<View>(() => {
    if (this.chosen === 'docs') return 'docs'
    if (this.chosen === 'directory' && workspaces.selected !== null) return 'directory'
    if (this.chosen === 'admin' && workspaces.isAdmin) return 'admin'
    return 'chats'
  })
  /** A whiteboard or note shown in the main area instead of the view; closing it goes back. */
  docId = $state<DocId | null>(null)
  /** Conversations show their notes & boards beside them; it stays open from one to the next. */
  docsPanelOpen = $state(false)

  show(view: View): void {
    this.chosen = view
    this.docId = null
  }

  openDoc(docId: DocId): void {
    this.docId = docId
  }

  closeDoc(): void {
    this.docId = null
  }
}

export const navigation = new NavigationState()
