import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'
import type { IncomingMessage, ServerResponse } from 'node:http'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  // PDF.js's worker is an ES module file: browsers refuse to run a module served as anything else.
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8'
}

export interface StaticFilesInit {
  /** Folder of the built renderer. */
  root: string
  /** Content-Security-Policy sent with every response; a function because the port is known late. */
  csp: () => string
}

/**
 * Serves the built renderer read-only: GET and HEAD, files under `root` only, index.html for
 * `/`, strict security headers on everything.
 */
export function createStaticFiles(init: StaticFilesInit): (req: IncomingMessage, res: ServerResponse) => void {
  const root = resolve(init.root)
  const headers = (): Record<string, string> => ({
    'content-security-policy': init.csp(),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    // Calls use the camera and microphone, and screen sharing the display, of this page only.
    'permissions-policy': 'camera=(self), microphone=(self), display-capture=(self), geolocation=()'
  })
  const fail = (res: ServerResponse, status: number, text: string): void => {
    res.writeHead(status, { ...headers(), 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`)
  }

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') { fail(res, 405, 'method not allowed'); return }
    let pathname: string
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname)
    } catch {
      fail(res, 400, 'bad request')
      return
    }
    if (pathname.includes('\0')) { fail(res, 400, 'bad request'); return }
    const relative = pathname === '/' ? 'index.html' : pathname.slice(1)
    const file = normalize(join(root, relative))
    if (file !== root && !file.startsWith(root + sep)) { fail(res, 403, 'forbidden'); return }
    void stat(file).then((info) => {
      if (!info.isFile()) { fail(res, 404, 'not found'); return }
      res.writeHead(200, {
        ...headers(),
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
        'content-length': String(info.size),
        // Vite fingerprints everything under assets/; index.html must always be fresh.
        'cache-control': relative.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache'
      })
      if (req.method === 'HEAD') { res.end(); return }
      createReadStream(file).pipe(res)
    }, () => { fail(res, 404, 'not found') })
  }
}
