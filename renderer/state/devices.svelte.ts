import { session } from './session.svelte'
import type { LinkCodeView, LinkPreview, LinkRequestView, WorkspaceView } from '../../src/api/contract'

/** Linking devices to this person's account (docs/devices.md): the code shown here and the device asking with it. */
class DevicesState {
  /** The code this device shows, until it is used or expires. */
  code = $state.raw<LinkCodeView | null>(null)
  /** The latest device asking with that code, and how it went. */
  request = $state.raw<LinkRequestView | null>(null)

  constructor() {
    session.onConnected((api) => {
      api.on('devices.linkRequest', (next) => {
        this.request = next
        // A code is used up by the first device that proves it holds it.
        this.code = null
      })
    })
  }

  async showCode(): Promise<void> {
    this.request = null
    this.code = await session.api.call('devices.linkCode', {})
  }

  hideCode(): void {
    this.code = null
  }

  async answer(accept: boolean): Promise<void> {
    if (this.request === null) return
    await session.api.call('devices.confirmLink', { requestId: this.request.requestId, accept })
  }

  /** On the new device: the digits to compare while the other one confirms. */
  preview(code: string): Promise<LinkPreview> {
    return session.api.call('devices.readLinkCode', { code })
  }

  link(code: string): Promise<WorkspaceView[]> {
    return session.api.call('devices.link', { code })
  }
}

export const devices = new DevicesState()
