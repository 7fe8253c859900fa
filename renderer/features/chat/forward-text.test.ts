import assert from 'node:assert/strict'
import { test } from 'node:test'
import { forwardedText } from './forward-text.js'

test('a forwarded text names its author and quotes every line, blank ones included', () => {
  assert.equal(forwardedText('Forwarded from Ana:', '**plan**\n\n- one'), 'Forwarded from Ana:\n> **plan**\n>\n> - one')
})
