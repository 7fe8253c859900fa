import { readFile } from 'node:fs/promises'
import { protocol, type Session } from 'electron'
import { contentTypeOf, resolveAppFile } from './app-file.js'
import { APP_SCHEME } from './navigation-policy.js'
import { DESKTOP_RENDERER_CSP } from '../../src/api/renderer-csp.js'

/**
 * Must run before `app` is ready. `standard` gives the scheme real origins and relative URLs,
 * `secure` makes it a secure context (crypto.subtle, no mixed-content downgrades).
 */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }
  ])
}

/** Serves the built renderer (dist/renderer) on `app://enclave/`, read-only. */
export function serveAppFiles(session: Session, root: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET') return new Response(null, { status: 405 })
    const file = resolveAppFile(root, request.url)
    if (file === null) return new Response(null, { status: 404 })
    let body: Buffer
    try {
      body = await readFile(file)
    } catch {
      return new Response(null, { status: 404 })
    }
    return new Response(new Uint8Array(body), {
      headers: {
        'content-type': contentTypeOf(file),
        'content-security-policy': DESKTOP_RENDERER_CSP,
        'x-content-type-options': 'nosniff',
        'cross-origin-opener-policy': 'same-origin',
        'referrer-policy': 'no-referrer'
      }
    })
  })
}
