import { basename, join } from 'node:path'
import { messageOf, type ShellLog } from './shell-log.js'
import type { ApiClient } from '../../src/api/api-client.js'

/*
 * Save in the desktop app. The page asks the core (`shell.saveFile`); the core tells main
 * (`shell.saveFileAsked`), which shows the system's save dialog and has the core write the file
 * (`files.save`). No path ever reaches the page, and no bridge beyond the API port is needed.
 */

export interface FileSaverComponents {
  api: Pick<ApiClient, 'call' | 'on'>
  /** Electron's `dialog.showSaveDialog` for the window, with the suggested path; undefined when cancelled. */
  choosePath: (suggested: string) => Promise<string | undefined>
  /** Where a file is suggested to go (the user's Downloads). */
  downloadsDir: () => string
  /** Tells the user a save failed (a message box in the app). */
  showError: (title: string, detail: string) => void
  log: ShellLog
}

/**
 * A name a colleague chose, as a suggestion in the user's folder: no folders (a name such as
 * `../../.bashrc` suggests `.bashrc` in Downloads), no control characters, never empty.
 */
export function suggestedName(name: string): string {
  // Bidirectional controls go too: they make `gpj.exe` display as `exe.jpg`.
  // eslint-disable-next-line no-control-regex
  const clean = basename(name.replace(/\\/g, '/')).replace(/[\u0000-\u001f\u007f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim()
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean
}

export function createFileSaver(components: FileSaverComponents): () => void {
  const { api, choosePath, downloadsDir, showError, log } = components
  /** One dialog per file at a time: a double click asks once. */
  const asking = new Set<string>()
  return api.on('shell.saveFileAsked', ({ messageId, name }) => {
    if (asking.has(messageId)) return
    asking.add(messageId)
    void (async () => {
      const path = await choosePath(join(downloadsDir(), suggestedName(name)))
      if (path === undefined) return
      await api.call('files.save', { messageId, path })
      log.info('file saved', { file: messageId })
    })().catch((err: unknown) => {
      log.warn('could not save a file', { file: messageId, error: messageOf(err) })
      showError('Enclave could not save the file', messageOf(err))
    }).finally(() => { asking.delete(messageId) })
  })
}
