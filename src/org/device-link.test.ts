import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { EnclaveError } from '../errors.js'
import { readHandOver } from './device-link.js'
import { createTestWorkspace, type TestWorkspace } from './test-workspace.js'
import type { VerifiedOp } from '../identity/membership-op.js'

let t: TestWorkspace
before(async () => { t = await createTestWorkspace() })
after(async () => { await t.close() })

/** An exchange that answers with `frames`, then with whatever `more` makes, forever. */
function exchangeOf(frames: unknown[], more: () => unknown = () => ({ t: 'end' })): { next(): Promise<unknown>; read: () => number } {
  let read = 0
  return { next: () => { read++; return Promise.resolve(frames.shift() ?? more()) }, read: () => read }
}

const signedOf = (op: VerifiedOp): { bytes: Uint8Array; sig: Uint8Array } => ({ bytes: new Uint8Array(op.signed.bytes), sig: new Uint8Array(op.signed.sig) })
const into = (): Map<string, { ops: VerifiedOp[] }> => new Map([[t.ws, { ops: [] }]])
const code = (c: string) => (err: unknown): boolean => err instanceof EnclaveError && err.code === c

test('a hand-over reads each offered workspace\'s ops, verified, until its end', async () => {
  const got = into()
  await readHandOver(exchangeOf([{ t: 'ops', ws: t.ws, ops: t.ops.map(signedOf) }, { t: 'end' }]), got)
  assert.deepEqual(got.get(t.ws)?.ops.map((op) => op.id), t.ops.map((op) => op.id))
})

test('a device handing over frames without end, empty or not, is refused before it costs more than one exchange of ops', async () => {
  const endless = exchangeOf([], () => ({ t: 'ops', ws: t.ws, ops: [] }))
  await assert.rejects(readHandOver(endless, into()), code('too-large'))
  assert.ok(endless.read() < 6000, `${endless.read()} frames read`)
  const repeating = exchangeOf([], () => ({ t: 'ops', ws: t.ws, ops: t.ops.map(signedOf) }))
  await assert.rejects(readHandOver(repeating, into()), code('too-large'))
})

test('ops for a workspace that was not offered, and ops that do not verify, are refused', async () => {
  await assert.rejects(readHandOver(exchangeOf([{ t: 'ops', ws: `w${'0'.repeat(32)}`, ops: [] }]), into()), code('bad-frame'))
  const [first] = t.ops
  if (first === undefined) throw new Error('no op')
  const forged = { bytes: new Uint8Array(first.signed.bytes), sig: new Uint8Array(64) }
  await assert.rejects(readHandOver(exchangeOf([{ t: 'ops', ws: t.ws, ops: [forged] }]), into()), code('wrong-author'))
})
