import assert from 'node:assert/strict'
import { test } from 'node:test'
import { passphraseWindowOptions } from './passphrase-window-options.js'

test('the prompt window is as locked down as the main window, with its own preload and no spell checker', () => {
  const options = passphraseWindowOptions('/app/dist/app/preload/passphrase-preload.cjs', 'unlock')
  assert.deepEqual(options.webPreferences, {
    preload: '/app/dist/app/preload/passphrase-preload.cjs',
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false
  })
  assert.equal(options.show, false)
  assert.ok((passphraseWindowOptions('/p', 'create').height ?? 0) > (options.height ?? 0), 'room for the second field')
})
