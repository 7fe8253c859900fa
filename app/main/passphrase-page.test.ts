import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { test } from 'node:test'
import { passphrasePageUrl } from './passphrase-page.js'
import { PASSPHRASE_MIN_LENGTH } from './passphrase-rules.js'
import type { PassphraseRequest } from './desktop-store-key.js'

const PREFIX = 'data:text/html;charset=utf-8,'

function page(request: PassphraseRequest): string {
  const url = passphrasePageUrl(request)
  assert.ok(url.startsWith(PREFIX))
  return decodeURIComponent(url.slice(PREFIX.length))
}

const between = (html: string, tag: string): string[] => [...html.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((m) => m[1] ?? '')
const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`

test('the prompt page allows its one inline script and style by hash, and nothing else', () => {
  const html = page({ mode: 'create', retry: false, reason: 'no-keychain' })
  const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1]
  assert.ok(csp !== undefined, 'a CSP meta tag')
  const policy = csp.replace(/&#39;/g, "'")
  const scripts = between(html, 'script')
  const styles = between(html, 'style')
  assert.equal(scripts.length, 1)
  assert.equal(styles.length, 1)
  assert.match(policy, /^default-src 'none'; /)
  assert.ok(policy.includes(`script-src ${sha256(scripts[0] ?? '')};`))
  assert.ok(policy.includes(`style-src ${sha256(styles[0] ?? '')};`))
  assert.ok(policy.includes("form-action 'none'") && policy.includes("base-uri 'none'"))
  assert.doesNotMatch(html, /\son[a-z]+=/i, 'no inline event handlers')
  assert.doesNotMatch(html, /(src|href)=/i, 'loads nothing')
})

test('a new store asks twice with a minimum length; an existing one once, saying when the last try was wrong', () => {
  const create = page({ mode: 'create', retry: false, reason: 'no-keychain' })
  assert.equal(create.match(/type="password"/g)?.length, 2)
  assert.equal(create.match(/autocomplete="new-password"/g)?.length, 2)
  assert.ok(create.includes(`data-min="${PASSPHRASE_MIN_LENGTH}"`))
  assert.match(create, /no keyring/)

  const unlock = page({ mode: 'unlock', retry: false, reason: 'store-uses-passphrase' })
  assert.equal(unlock.match(/type="password"/g)?.length, 1)
  assert.match(unlock, /autocomplete="current-password"/)
  assert.match(unlock, /<p id="error" role="alert"><\/p>/)

  const retry = page({ mode: 'unlock', retry: true, reason: 'store-uses-passphrase' })
  assert.match(retry, /<p id="error" role="alert">Wrong passphrase\. Try again\.<\/p>/)
})
