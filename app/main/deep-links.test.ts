import assert from 'node:assert/strict'
import { test } from 'node:test'
import { conversationLink, createLinkRouter, linkFromArgv } from './deep-links.js'
import { createShellLog } from './shell-log.js'

test('finds the enclave:// link among process arguments', () => {
  assert.equal(linkFromArgv(['/usr/bin/enclave', '--no-sandbox', 'enclave://peer/12D3KooWx']), 'enclave://peer/12D3KooWx')
  assert.equal(linkFromArgv(['C:\\Enclave\\Enclave.exe', 'ENCLAVE://conversation/dm%3Aab']), 'ENCLAVE://conversation/dm%3Aab')
  assert.equal(linkFromArgv(['/usr/bin/enclave', 'https://example.com']), null)
  assert.equal(linkFromArgv(['/usr/bin/enclave', `enclave://peer/${'x'.repeat(5000)}`]), null)
})

test('conversation links survive ids with reserved characters', () => {
  assert.equal(conversationLink('dm:abc/def'), 'enclave://conversation/dm%3Aabc%2Fdef')
})

test('links wait until a window listens, then go out in order; failures are logged', async () => {
  const delivered: string[] = []
  const lines: string[] = []
  const router = createLinkRouter({
    deliver: (url) => {
      delivered.push(url)
      return url.includes('bad') ? Promise.reject(Object.assign(new Error('unknown enclave:// link'), { code: 'bad-request' })) : Promise.resolve()
    },
    log: createShellLog('test', (line) => lines.push(line))
  })
  router.open('enclave://peer/a')
  router.open('enclave://bad')
  assert.deepEqual(delivered, [])
  router.ready()
  router.open('enclave://peer/b')
  assert.deepEqual(delivered, ['enclave://peer/a', 'enclave://bad', 'enclave://peer/b'])
  await new Promise((resolve) => setImmediate(resolve))
  assert.equal(lines.length, 1)
  assert.match(lines[0] ?? '', /"code":"bad-request"/)
})
