import assert from 'node:assert/strict'
import { test } from 'node:test'
import { acceptPassphrase, PASSPHRASE_MIN_LENGTH } from './passphrase-rules.js'

test('main accepts only strings of a sane length, and new passphrases of the minimum length', () => {
  const create = { mode: 'create' } as const
  const unlock = { mode: 'unlock' } as const
  assert.equal(acceptPassphrase(create, 'x'.repeat(PASSPHRASE_MIN_LENGTH)), 'x'.repeat(PASSPHRASE_MIN_LENGTH))
  assert.equal(acceptPassphrase(create, 'x'.repeat(PASSPHRASE_MIN_LENGTH - 1)), null)
  // Characters, not UTF-16 units: eleven emoji are eleven characters.
  assert.equal(acceptPassphrase(create, '🔑'.repeat(PASSPHRASE_MIN_LENGTH - 1)), null)
  assert.equal(acceptPassphrase(unlock, 'short'), 'short', 'an existing passphrase is whatever it was')
  assert.equal(acceptPassphrase(unlock, ''), null)
  assert.equal(acceptPassphrase(unlock, 'x'.repeat(5000)), null)
  for (const value of [undefined, null, 42, ['a'], { toString: () => 'a passphrase!!' }]) assert.equal(acceptPassphrase(unlock, value), null)
})
