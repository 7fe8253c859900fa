import assert from 'node:assert/strict'
import { join } from 'node:path'
import { test } from 'node:test'
import { contentTypeOf, resolveAppFile } from './app-file.js'
import { externalUrlFor, isAppUrl } from './navigation-policy.js'

const root = '/opt/enclave/dist/renderer'

test('serves files of the renderer folder, index.html at the root', () => {
  assert.equal(resolveAppFile(root, 'app://enclave/'), join(root, 'index.html'))
  assert.equal(resolveAppFile(root, 'app://enclave/index.html?x=1#y'), join(root, 'index.html'))
  assert.equal(resolveAppFile(root, 'app://enclave/assets/index-abc.js'), join(root, 'assets/index-abc.js'))
  assert.equal(resolveAppFile(root, 'app://enclave/assets/a%20b.css'), join(root, 'assets/a b.css'))
})

test('refuses paths that leave the renderer folder and URLs that are not ours', () => {
  for (const url of [
    'app://enclave/../secret',
    'app://enclave/%2e%2e/secret',
    'app://enclave/assets/%2e%2e%2f%2e%2e%2fsecret',
    'app://enclave/..%2f..%2fetc/passwd',
    'app://enclave/..%5csecret',
    'app://enclave/a%00.js',
    'app://enclave/%E0%A4%A',
    'app://other/index.html',
    'file:///etc/passwd',
    'https://enclave/index.html',
    'not a url'
  ]) {
    const file = resolveAppFile(root, url)
    assert.ok(file === null || file.startsWith(root + '/'), `${url} → ${String(file)}`)
  }
  assert.equal(resolveAppFile(root, 'app://enclave/..%2f..%2fetc/passwd'), null)
  assert.equal(resolveAppFile(root, 'app://other/index.html'), null)
})

test('content types are explicit; unknown files are opaque bytes', () => {
  assert.equal(contentTypeOf('/x/index.html'), 'text/html; charset=utf-8')
  assert.equal(contentTypeOf('/x/app.JS'), 'text/javascript; charset=utf-8')
  assert.equal(contentTypeOf('/x/font.woff2'), 'font/woff2')
  assert.equal(contentTypeOf('/x/payload.exe'), 'application/octet-stream')
})

test('only app pages may be navigated to; only https leaves for the browser', () => {
  assert.equal(isAppUrl('app://enclave/index.html#/chat'), true)
  assert.equal(isAppUrl('app://evil/index.html'), false)
  assert.equal(isAppUrl('app://user:pw@enclave/index.html'), false)
  assert.equal(isAppUrl('https://enclave/index.html'), false)
  assert.equal(isAppUrl('javascript:alert(1)'), false)

  assert.equal(externalUrlFor('https://example.com/a?b'), 'https://example.com/a?b')
  for (const url of ['http://example.com', 'file:///etc/passwd', 'smb://host/share', 'enclave://peer/x', 'javascript:alert(1)', 'https://u:p@example.com/', 'nonsense']) {
    assert.equal(externalUrlFor(url), null, url)
  }
})
