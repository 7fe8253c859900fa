import assert from 'node:assert/strict'
import { test } from 'node:test'
import { cborFrame } from '../net/frame-io.js'
import { MAX_OPS_FRAME, opSize, packOps } from './op-frames.js'
import { chain, testDevice, testWorkspace } from './test-workspaces.js'
import type { OpBodyInput } from '../identity/membership-op.js'

/** A member with a picture inline, as ops written before pictures left the log carry it (~40 KiB). */
const inlineAvatar = `data:image/webp;base64,${'A'.repeat(40_000)}`

test('ops are packed by bytes: every frame stays under the limit whatever the ops hold', async () => {
  const t = await testWorkspace()
  const members = await Promise.all(Array.from({ length: 60 }, () => testDevice()))
  const ops = await chain(t, members.map((m): { by: typeof t.owner; body: OpBodyInput } => ({ by: t.owner, body: { type: 'add', userId: m.userId, device: m.id, role: 'member', profile: { name: 'With picture', avatar: inlineAvatar } } })))
  const packed = packOps(ops, { budgetBytes: Number.MAX_SAFE_INTEGER })
  assert.equal(packed.more, false)
  assert.deepEqual(packed.frames.flat(), ops.map((op) => op.signed))
  assert.ok(packed.frames.length >= 5, `60 × 40 KiB in ${packed.frames.length} frames`)
  for (const frame of packed.frames) assert.ok(cborFrame({ t: 'ops', ws: t.ws, ops: frame }).byteLength < MAX_OPS_FRAME)
})

test('an exchange stops at its budget with `more`, and always carries at least one op', async () => {
  const t = await testWorkspace()
  const members = await Promise.all(Array.from({ length: 10 }, () => testDevice()))
  const ops = await chain(t, members.map((m): { by: typeof t.owner; body: OpBodyInput } => ({ by: t.owner, body: { type: 'add', userId: m.userId, device: m.id, role: 'member', profile: { name: 'M' } } })))
  const size = opSize(ops[0]?.signed ?? { bytes: new Uint8Array(), sig: new Uint8Array() })
  const part = packOps(ops, { budgetBytes: size * 3.5 })
  assert.equal(part.more, true)
  assert.equal(part.frames.flat().length, 3)
  const tiny = packOps(ops, { budgetBytes: 1 })
  assert.deepEqual([tiny.frames.flat().length, tiny.more], [1, true])
  // What an exchange already spent counts against the same budget.
  assert.equal(packOps(ops, { budgetBytes: size * 3.5 }, size * 2).frames.flat().length, 1)
})
