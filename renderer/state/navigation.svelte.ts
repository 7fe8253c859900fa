import { workspaces } from './workspaces.svelte'

export type View = 'chats' | 'directory' | 'admin'

/** Which view the main area shows, picked in the sidebar. */
class NavigationState {
  private chosen = $state<View>('chats')
  /** The directory needs a workspace and the console admin rights; without them it is chats. */
  view = $derived.by<View>(() => {
    if (this.chosen === 'directory' && workspaces.selected !== null) return 'directory'
    if (this.chosen === 'admin' && workspaces.isAdmin) return 'admin'
    return 'chats'
  })

  show(view: View): void {
    this.chosen = view
  }
}

export const navigation = new NavigationState()
