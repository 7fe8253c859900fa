import assert from 'node:assert/strict'
import { stat } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { test } from 'node:test'
import { makeDataDir, removeDataDir, startNode } from './helpers/node-process.js'

function portOf(url: string | undefined): number {
  return Number(new URL(url ?? '').port)
}

test('enclave serve prints the same link (port and token) after a restart, and another port when its own is taken', async () => {
  const dir = await makeDataDir('serve-link')
  try {
    const first = await startNode(dir, { serve: true })
    const link = first.appUrl
    assert.match(link ?? '', /^http:\/\/127\.0\.0\.1:\d+\/#token=[0-9a-f]{64}$/)
    await first.stop()
    assert.equal((await stat(join(dir, 'serve.json'))).mode & 0o777, 0o600)

    const second = await startNode(dir, { serve: true })
    assert.equal(second.appUrl, link, 'same port and token after a restart')
    await second.stop()

    // Another program took the port while the node was down: the node moves, keeps its token and says so.
    const squatter = createServer()
    await new Promise<void>((resolve) => { squatter.listen(portOf(link), '127.0.0.1', resolve) })
    try {
      const third = await startNode(dir, { serve: true })
      assert.notEqual(portOf(third.appUrl), portOf(link))
      assert.equal(new URL(third.appUrl ?? '').hash, new URL(link ?? '').hash, 'the token stays')
      assert.match(third.stdout(), new RegExp(`Port ${portOf(link)} is taken by another program; Enclave now uses port ${portOf(third.appUrl)}`))
      await third.stop()
      // The new port is the one kept from now on.
      const fourth = await startNode(dir, { serve: true })
      assert.equal(fourth.appUrl, third.appUrl)
      await fourth.stop()
    } finally {
      await new Promise<void>((resolve) => { squatter.close(() => { resolve() }) })
    }
  } finally {
    await removeDataDir(dir)
  }
})
