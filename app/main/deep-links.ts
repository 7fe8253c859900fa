import { messageOf, type ShellLog } from './shell-log.js'

/** Links the OS hands us: `enclave://conversation/<id>`, `enclave://peer/<peerId>` (see src/api/links.ts). */
export const LINK_SCHEME = 'enclave'
/** Longer argv entries are not ours: real links are well under 200 characters. */
const MAX_LINK_LENGTH = 2048
/** Links arriving before the renderer listens; more than this is not a person clicking. */
const MAX_QUEUED = 8

/** The first `enclave://` link among a process's arguments (Windows and Linux pass links this way). */
export function linkFromArgv(argv: readonly string[]): string | null {
  const link = argv.find((arg) => arg.length <= MAX_LINK_LENGTH && arg.toLowerCase().startsWith(`${LINK_SCHEME}://`))
  return link ?? null
}

export function conversationLink(conversationId: string): string {
  return `${LINK_SCHEME}://conversation/${encodeURIComponent(conversationId)}`
}

export interface LinkRouterComponents {
  /** Hands a link to the core (`shell.openLink`), which checks it and tells every window. */
  deliver: (url: string) => Promise<unknown>
  log: ShellLog
}

export interface LinkRouter {
  open(url: string): void
  /** A window listens now: deliver what waited and everything after. */
  ready(): void
}

/**
 * Holds links until a window can hear the core's `shell.linkOpened` (a link often is what
 * launched the app), then delivers them in order. Validation is the core's job, not ours.
 */
export function createLinkRouter({ deliver, log }: LinkRouterComponents): LinkRouter {
  const queued: string[] = []
  let isReady = false

  const send = (url: string): void => {
    deliver(url).catch((err: unknown) => {
      log.warn('link not opened', { code: (err as { code?: unknown } | null)?.code, error: messageOf(err) })
    })
  }

  return {
    open: (url) => {
      if (url.length > MAX_LINK_LENGTH) {
        log.warn('link too long; ignored', { length: url.length })
        return
      }
      if (isReady) send(url)
      else if (queued.length < MAX_QUEUED) queued.push(url)
    },
    ready: () => {
      isReady = true
      for (const url of queued.splice(0)) send(url)
    }
  }
}
