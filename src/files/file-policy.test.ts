import assert from 'node:assert/strict'
import { test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { checkFilePolicy, extensionOf, strictest } from './file-policy.js'

const open = { maxBytes: null, blocked: [], guests: true, guestPresent: false }
const refused = (err: unknown): boolean => err instanceof EnclaveError && err.code === 'blocked-by-policy'

test('a file within the rules passes; past the size, of a blocked type, or where guests are when they may not have files, it is refused', () => {
  const rules = { maxBytes: 1000, blocked: ['exe', 'bat'], guests: false, guestPresent: false }
  checkFilePolicy(rules, 'plan.pdf', 1000)
  checkFilePolicy(rules, 'README', 10)
  assert.throws(() => { checkFilePolicy(rules, 'plan.pdf', 1001) }, refused)
  assert.throws(() => { checkFilePolicy(rules, 'Setup.EXE', 10) }, refused)
  assert.throws(() => { checkFilePolicy({ ...rules, guestPresent: true }, 'plan.pdf', 10) }, refused)
  checkFilePolicy({ ...open, guestPresent: true }, 'plan.pdf', 10 ** 12)
})

test('a DM between colleagues of several workspaces keeps each rule at its strictest', () => {
  const merged = strictest([{ maxBytes: null, blocked: ['exe'], guests: true }, { maxBytes: 5000, blocked: ['bat', 'exe'], guests: false }, { maxBytes: 9000, blocked: [], guests: true }])
  assert.deepEqual(merged, { maxBytes: 5000, blocked: ['bat', 'exe'], guests: false })
  assert.deepEqual(strictest([]), { maxBytes: null, blocked: [], guests: true })
})

test('an extension is what follows the last dot, in lower case; a dotfile or a trailing dot has none', () => {
  assert.equal(extensionOf('archive.tar.GZ'), 'gz')
  assert.equal(extensionOf('.bashrc'), '')
  assert.equal(extensionOf('notes.'), '')
  assert.equal(extensionOf('Makefile'), '')
  assert.equal(extensionOf('setup.exe.'), 'exe', 'Windows saves it as setup.exe')
  assert.equal(extensionOf('setup.EXE . '), 'exe')
})
