import { once } from 'node:events'
import { errorMessage } from '../errors.js'
import type { Core } from '../index.js'
import type { Logger } from '../logger.js'
import type { IncomingMessage, ServerResponse } from 'node:http'

const TICKET_PATH = /^\/download\/([0-9a-f]{32})$/

/** `Content-Disposition` for a name of any script: an ASCII stand-in, and the name itself (RFC 6266/5987). */
function attachment(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`
}

/**
 * The browser shell's downloads: `GET /download/<ticket>` streams a file's plaintext once, for a
 * ticket the app got from `files.downloadLink` over its authenticated API. Always an attachment of
 * an opaque type, never shown in the app's origin (a shared HTML or SVG file runs nothing here).
 */
export function isDownload(req: IncomingMessage): boolean {
  return TICKET_PATH.test(new URL(req.url ?? '/', 'http://localhost').pathname)
}

export async function serveDownload(core: Pick<Core, 'download'>, req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
  const headers = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'" }
  const ticket = TICKET_PATH.exec(new URL(req.url ?? '/', 'http://localhost').pathname)?.[1]
  if (req.method !== 'GET' || ticket === undefined) { res.writeHead(405, headers).end(); return }
  const file = await core.download(ticket).catch(() => undefined)
  if (file === undefined) {
    res.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end('This download link was used already or has expired. Save the file again from the app.\n')
    return
  }
  res.writeHead(200, { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(file.size), 'content-disposition': attachment(file.name) })
  try {
    for await (const chunk of file.chunks) {
      if (!res.write(chunk)) await once(res, 'drain')
    }
    res.end()
  } catch (err) {
    log.warn('a download stopped short', { error: errorMessage(err) })
    res.destroy()
  }
}
