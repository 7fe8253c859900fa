/**
 * The Electron main process: lifecycle, one instance, windows, tray, notifications, deep links.
 * No product logic lives here: the core runs in a utility process (core-host.ts) and everything
 * main knows, it asks through the same API the renderer uses.
 *
 * Environment, for development and tests:
 * - ENCLAVE_USER_DATA: profile folder instead of the OS default (the core's store is in its `data/`).
 * - ENCLAVE_MDNS=off: no LAN discovery (tests must not multicast outside a network namespace).
 * - ENCLAVE_PASSPHRASE: answers the store passphrase prompt (Linux without a keyring, as on CI), as
 *   for the headless node; a refused one brings the prompt up. Removed from the environment at
 *   once, so the core process does not inherit it.
 */
import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { app, dialog, MessageChannelMain, nativeImage, Notification, safeStorage, session, utilityProcess, type BrowserWindow, type MessagePortMain } from 'electron'
import { coreProcessEnv } from '../../src/api/core-process-env.js'
import { mainPortToApiPort } from '../../src/api/message-port.js'
import { createApiClient } from '../../src/api/api-client.js'
import { registerAppScheme, serveAppFiles } from './app-protocol.js'
import { createCoreHost, type CoreHost } from './core-host.js'
import { conversationLink, createLinkRouter, LINK_SCHEME, linkFromArgv } from './deep-links.js'
import { createStoreKeySource } from './desktop-store-key.js'
import { keychainOf } from './keychain.js'
import { createFileSaver } from './file-saver.js'
import { createMessageNotifier } from './notifications.js'
import { createPassphrasePrompt } from './passphrase-prompt.js'
import { acceptPassphrase } from './passphrase-rules.js'
import { hardenSession, hardenWebContents } from './security.js'
import { createShellLog } from './shell-log.js'
import { createTray, type AppTray } from './tray.js'
import { createUnreadTracker } from './unread-tracker.js'
import { createMainWindow, loadRenderer, revealWindow } from './window.js'

const here = dirname(fileURLToPath(import.meta.url))
const paths = {
  preload: join(here, '..', 'preload', 'preload.cjs'),
  passphrasePreload: join(here, '..', 'preload', 'passphrase-preload.cjs'),
  core: join(here, '..', 'core', 'core-process.js'),
  renderer: join(here, '..', '..', 'renderer'),
  // macOS: a black 16 pt "Template" image the menu bar recolours (its @2x is used on Retina);
  // other trays draw a 32 px colour icon at 16–32 px.
  trayIcon: join(here, '..', 'assets', process.platform === 'darwin' ? 'trayTemplate.png' : 'tray.png')
}
const log = createShellLog('shell')

const userData = process.env.ENCLAVE_USER_DATA
if (userData !== undefined && userData !== '') app.setPath('userData', resolve(userData))
const presetPassphrase = process.env.ENCLAVE_PASSPHRASE ?? ''
delete process.env.ENCLAVE_PASSPHRASE

// The lock lives in the profile folder, so it is taken after choosing it.
if (!app.requestSingleInstanceLock()) {
  app.quit()
} else {
  run()
}

function run(): void {
  app.enableSandbox()
  registerAppScheme()

  const api = createApiClient()
  const links = createLinkRouter({ deliver: (url) => api.call('shell.openLink', { url }), log: log.child('links') })
  let window: BrowserWindow | null = null
  let tray: AppTray | null = null
  let host: CoreHost<MessagePortMain> | null = null
  let quitting = false
  let coreStopped = false

  const reveal = (): void => { if (window !== null) revealWindow(window) }
  const openLink = (url: string): void => {
    reveal()
    links.open(url)
  }

  // Packaged builds only: registering a development build would take the scheme away from an
  // installed Enclave. Linux packages also declare it in their .desktop file.
  if (app.isPackaged) app.setAsDefaultProtocolClient(LINK_SCHEME)
  const launchLink = linkFromArgv(process.argv)
  if (launchLink !== null) links.open(launchLink)
  // macOS delivers links (even the one that launched us, before `ready`) as events.
  app.on('open-url', (event, url) => {
    event.preventDefault()
    openLink(url)
  })
  app.on('second-instance', (_event, argv) => {
    reveal()
    const link = linkFromArgv(argv)
    if (link !== null) links.open(link)
  })
  app.on('web-contents-created', (_event, contents) => { hardenWebContents(contents, log.child('web')) })
  app.on('activate', reveal)
  app.on('before-quit', () => { quitting = true })
  app.on('will-quit', (event) => {
    if (host === null || coreStopped) return
    // LevelDB must be closed cleanly: wait for the core before letting the app exit.
    event.preventDefault()
    void host.stop().then(() => {
      coreStopped = true
      tray?.destroy()
      app.quit()
    })
  })

  app.whenReady().then(() => {
    const ses = session.defaultSession
    hardenSession(ses, log.child('session'))
    serveAppFiles(ses, paths.renderer)
    if (!existsSync(join(paths.renderer, 'index.html'))) log.warn('renderer is not built; the window will be empty', { expected: paths.renderer })

    // The store key is decided here, in main, before each core start (docs/desktop-store-key.md):
    // sealed by the OS keychain, or a passphrase where the keychain protects nothing.
    const dataDir = join(app.getPath('userData'), 'data')
    const prompt = createPassphrasePrompt({ preload: paths.passphrasePreload, log: log.child('passphrase') })
    let promptClosed = false
    const storeKey = createStoreKeySource({
      dataDir,
      keychain: keychainOf(safeStorage),
      askPassphrase: async (request) => {
        if (!request.retry && presetPassphrase !== '') {
          if (acceptPassphrase(request, presetPassphrase) !== null) return presetPassphrase
          log.warn('ENCLAVE_PASSPHRASE is too short for a new store; asking instead')
        }
        const passphrase = await prompt(request)
        promptClosed = passphrase === null
        return passphrase
      },
      log: log.child('store-key')
    })

    host = createCoreHost({
      fork: () => utilityProcess.fork(paths.core, [], { serviceName: 'Enclave core', env: coreProcessEnv(process.env) }),
      createChannel: () => new MessageChannelMain(),
      toApiPort: mainPortToApiPort,
      api,
      log: log.child('core-host')
    }, {
      dataDir,
      mdns: process.env.ENCLAVE_MDNS !== 'off',
      storeKey
    })
    host.onFailed((error) => {
      // Without its store the app can do nothing: say why (unless the user closed the prompt) and quit.
      if (!promptClosed && !quitting) dialog.showErrorBox('Enclave cannot open your messages', error.message)
      app.quit()
    })

    const win = createMainWindow({ preload: paths.preload, allowClose: () => quitting, log: log.child('window') })
    window = win
    win.on('closed', () => { window = null })
    host.attach(win.webContents)
    host.onWindowConnected(() => { links.ready() })

    const appTray = createTray({ icon: nativeImage.createFromPath(paths.trayIcon), onOpen: reveal, onQuit: () => { app.quit() } })
    tray = appTray
    const unread = createUnreadTracker({ api, onChange: (total) => { appTray.setUnread(total) }, log: log.child('unread') })
    const notifier = !Notification.isSupported() ? null : createMessageNotifier({
      api,
      isWindowFocused: () => window?.isFocused() ?? false,
      createNotification: (content) => new Notification(content),
      openConversation: (conversationId) => { openLink(conversationLink(conversationId)) },
      log: log.child('notifications')
    })
    host.onReady(() => {
      void unread.refresh()
      void notifier?.refresh()
    })

    createFileSaver({
      api,
      choosePath: async (suggested) => {
        const options = { defaultPath: suggested }
        const chosen = window === null ? await dialog.showSaveDialog(options) : await dialog.showSaveDialog(window, options)
        return chosen.canceled || chosen.filePath === '' ? undefined : chosen.filePath
      },
      downloadsDir: () => app.getPath('downloads'),
      showError: (title, detail) => { dialog.showErrorBox(title, detail) },
      log: log.child('save')
    })

    host.start()
    loadRenderer(win, log.child('window'))
  }).catch((err: unknown) => {
    log.error('could not start', { error: String(err) })
    app.exit(1)
  })
}
