import type { WindowClass } from './window-options.js'

/**
 * Makes the passphrase prompt's window: web preferences as locked down as the main window's
 * (sandboxed, isolated, no Node, no <webview>; the test holds the two equal), its own preload,
 * and no spell checker on what is typed. Written out at the constructor call for the same
 * reason as newMainWindow.
 */
export function newPassphraseWindow<W>(BrowserWindow: WindowClass<W>, preload: string, mode: 'create' | 'unlock'): W {
  return new BrowserWindow({
    // The page's own size (measured in Chromium: 356 and 250 px tall), whatever the frame adds.
    useContentSize: true,
    width: 440,
    height: mode === 'create' ? 380 : 270,
    resizable: false,
    minimizable: false,
    maximizable: false,
    fullscreenable: false,
    autoHideMenuBar: true,
    title: 'Enclave',
    show: false,
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false
    }
  })
}
