/**
 * The passphrase prompt's preload (app/main/passphrase-prompt.ts), and the one place a page gets
 * anything through contextBridge: a single `enclavePassphrase.submit(passphrase)` that sends one
 * string to main. The prompt page is ours, static and shows nothing from peers; the main
 * window's preload (preload.ts) still exposes nothing. No ipcRenderer, no way to listen or invoke.
 *
 * A sandboxed preload is CommonJS and may require only 'electron', so this file is `.cts` with no
 * local imports: tsc emits dist/app/preload/passphrase-preload.cjs ready to load, no bundling.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- CommonJS is what a sandboxed preload runs
import electron = require('electron')

/** app/main/passphrase-rules.ts's PASSPHRASE_CHANNEL (checked by passphrase-preload.test.ts). */
const CHANNEL = 'enclave:passphrase'

electron.contextBridge.exposeInMainWorld('enclavePassphrase', {
  submit: (passphrase: unknown): void => {
    if (typeof passphrase === 'string') electron.ipcRenderer.send(CHANNEL, passphrase)
  }
})
