import type { DocId, MessageView } from '../../src/api/contract'
import { workspaces } from './workspaces.svelte'

export type View = 'chats' | 'mentions' | 'saved' | 'docs' | 'files' | 'directory' | 'admin'

/** Which view the main area shows, picked in the sidebar, and the doc opened over it. */
class NavigationState {
  private chosen = $state<View>('chats')
  /** The directory needs a workspace and the console admin rights; without them it is chats. */
  view = $derived.by<View>(() => {
    if (this.chosen === 'docs' || this.chosen === 'files' || this.chosen === 'mentions' || this.chosen === 'saved') return this.chosen
    if (this.chosen === 'directory' && workspaces.selected !== null) return 'directory'
    if (this.chosen === 'admin' && workspaces.isAdmin) return 'admin'
    return 'chats'
  })
  /** A whiteboard or note shown in the main area instead of the view; closing it goes back. */
  docId = $state<DocId | null>(null)
  /** A doc of a conversation shows that conversation beside it (kept from one doc to the next). */
  chatBeside = $state(false)
  /** The panel beside a conversation, its notes & boards or its files: it stays open from one conversation to the next. */
  sidePanel = $state<'docs' | 'files' | 'thread' | null>(null)
  /** The message whose thread the side panel shows (`sidePanel` 'thread'). */
  threadRoot = $state.raw<MessageView | null>(null)

  get docsPanelOpen(): boolean { return this.sidePanel === 'docs' }
  set docsPanelOpen(open: boolean) { this.sidePanel = open ? 'docs' : this.sidePanel === 'docs' ? null : this.sidePanel }
  get filesPanelOpen(): boolean { return this.sidePanel === 'files' }
  set filesPanelOpen(open: boolean) { this.sidePanel = open ? 'files' : this.sidePanel === 'files' ? null : this.sidePanel }

  get threadOpen(): boolean { return this.sidePanel === 'thread' && this.threadRoot !== null }

  openThread(root: MessageView): void {
    this.threadRoot = root
    this.sidePanel = 'thread'
  }

  closeThread(): void {
    if (this.sidePanel === 'thread') this.sidePanel = null
    this.threadRoot = null
  }

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
