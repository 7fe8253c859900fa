import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import { createMemoryLogger } from '../logger.js'
import { isDownload, serveDownload } from './download-route.js'
import type { AddressInfo } from 'node:net'

const TICKET = 'ab'.repeat(16)
const body = ['<html><script>alert(1)</script>', '</html>'].map((s) => new TextEncoder().encode(s))

/** A server whose core has one file behind one ticket, good once (as the file service's are). */
async function serving(): Promise<{ server: Server; url: (path: string) => string }> {
  let used = false
  const core = {
    download: (ticket: string) => {
      if (ticket !== TICKET || used) return Promise.resolve(undefined)
      used = true
      return Promise.resolve({ name: 'Report «final».html', size: body.reduce((n, b) => n + b.byteLength, 0), chunks: (async function * () { for (const b of body) yield await Promise.resolve(b) })() })
    }
  }
  const server = createServer((req, res) => {
    if (isDownload(req)) { void serveDownload(core, req, res, createMemoryLogger()); return }
    res.writeHead(404).end()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return { server, url: (path) => `http://127.0.0.1:${port}${path}` }
}

test('a ticket downloads its file once, as an opaque attachment under its own name', async () => {
  const { server, url } = await serving()
  try {
    const first = await fetch(url(`/download/${TICKET}`))
    assert.equal(first.status, 200)
    assert.equal(first.headers.get('content-type'), 'application/octet-stream')
    assert.equal(first.headers.get('x-content-type-options'), 'nosniff')
    assert.equal(first.headers.get('content-disposition'), 'attachment; filename="Report _final_.html"; filename*=UTF-8\'\'Report%20%C2%ABfinal%C2%BB.html')
    assert.equal(await first.text(), '<html><script>alert(1)</script></html>')
    const again = await fetch(url(`/download/${TICKET}`))
    assert.equal(again.status, 404)
    assert.match(await again.text(), /used already or has expired/)
    assert.equal((await fetch(url(`/download/${'cd'.repeat(16)}`))).status, 404)
    assert.equal((await fetch(url('/download/not-a-ticket'))).status, 404, 'not the download route at all')
  } finally {
    server.close()
  }
})
