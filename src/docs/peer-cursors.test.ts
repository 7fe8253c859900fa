import assert from 'node:assert/strict'
import { test } from 'node:test'
import * as Y from 'yjs'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import { createPeerCursors } from './peer-cursors.js'
import { parseDocId } from '../ids.js'

const DOC = parseDocId(`doc:${'1'.repeat(32)}`)

test('a peer\'s cursors vanish from a colleague\'s view when the peer goes away', () => {
  const theirs = new Awareness(new Y.Doc())
  theirs.setLocalStateField('cursor', { x: 1, y: 2 })
  const mine = new Awareness(new Y.Doc())
  const cursors = createPeerCursors()
  const update = encodeAwarenessUpdate(theirs, [theirs.clientID])
  assert.equal(cursors.seen('peer-a', DOC, update), true)
  applyAwarenessUpdate(mine, update, 'remote')
  assert.ok(mine.getStates().has(theirs.clientID))

  const removals = cursors.gone('peer-a')
  assert.equal(removals.length, 1)
  for (const r of removals) applyAwarenessUpdate(mine, r.update, 'remote')
  assert.equal(mine.getStates().has(theirs.clientID), false)
  assert.deepEqual(cursors.gone('peer-a'), [], 'forgotten')
  theirs.destroy()
  mine.destroy()
})

test('malformed awareness bytes are refused', () => {
  assert.equal(createPeerCursors().seen('p', DOC, new Uint8Array([5, 1])), false)
})
