import { app, Menu, Tray, type NativeImage } from 'electron'

export interface TrayInit {
  icon: NativeImage
  onOpen: () => void
  onQuit: () => void
}

export interface AppTray {
  /** Shows the number of unread messages: tray tooltip (and title on macOS), app badge where the OS has one. */
  setUnread(count: number): void
  destroy(): void
}

export function createTray({ icon, onOpen, onQuit }: TrayInit): AppTray {
  const tray = new Tray(icon)
  tray.setContextMenu(Menu.buildFromTemplate([
    { label: 'Open Enclave', click: onOpen },
    { type: 'separator' },
    { label: 'Quit Enclave', click: onQuit }
  ]))
  tray.on('click', onOpen)

  const show = (count: number): void => {
    tray.setToolTip(count === 0 ? 'Enclave' : `Enclave: ${count} unread`)
    // Tray titles exist only on macOS (text next to the menu-bar icon).
    if (process.platform === 'darwin') tray.setTitle(count === 0 ? '' : String(count))
    // macOS dock and Unity-style Linux launchers; returns false (no effect) elsewhere.
    app.setBadgeCount(count)
  }
  show(0)

  return {
    setUnread: show,
    destroy: () => { tray.destroy() }
  }
}
