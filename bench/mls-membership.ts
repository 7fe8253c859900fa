/**
 * Part of `bench:groups`: the MLS work of adding and removing one member of a group, in memory
 * (no store, no network): the committer's commit, another member applying it, the new member
 * joining from the welcome.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { deviceOfCredential, makeDeviceCredential } from '../src/crypto/mls-credential.js'
import { commitChanges, createGroupState, decodeMls, joinFromWelcome, membersOf, newKeyPackage, newSigningKeys, ownLeaf, processPrivate, type MlsSigner, type OwnKeyPackage } from '../src/crypto/mls-group.js'
import { mlsClientConfig } from '../src/crypto/mls-suite.js'
import { summarize, type Summary } from './stats.js'

/** Untimed add/remove cycles before the timed ones. */
export const MEMBERSHIP_WARMUP = 1

const now = (): number => performance.now()

async function signers(n: number): Promise<Array<{ device: string; signer: MlsSigner }>> {
  return Promise.all(Array.from({ length: n }, async () => {
    const key = await generateKeyPair('Ed25519')
    const device = peerIdFromPrivateKey(key).toString()
    const keys = await newSigningKeys()
    return { device, signer: { ...keys, credential: await makeDeviceCredential(key, device, keys.publicKey) } }
  }))
}

const OPS = ['addCommit', 'addProcess', 'addJoin', 'removeCommit', 'removeProcess'] as const
export type Op = (typeof OPS)[number]

/**
 * The MLS work of adding and removing one member of an `n`-member group, in memory: the
 * committer's commit, another member applying it, the new member joining from the welcome.
 * Each cycle adds a fresh device and removes a member from elsewhere in the tree, so the group
 * stays at `n`; the first MEMBERSHIP_WARMUP cycles are not counted.
 */
export async function membershipOps(n: number, samples: number): Promise<{ members: number; createMs: number; joinMs: number; addCommitBytes: number; addWelcomeBytes: number; removeCommitBytes: number; times: Record<Op, number[]>; summary: Record<Op, Summary> }> {
  const config = mlsClientConfig({ validateCredential: async (c, k) => await deviceOfCredential(c, k) !== null })
  const cycles = MEMBERSHIP_WARMUP + samples
  const packages: OwnKeyPackage[] = []
  for (const p of await signers(n + cycles)) packages.push(await newKeyPackage(p.signer))
  const [own, observerPackage, ...others] = packages
  if (own === undefined || observerPackage === undefined) throw new Error('no packages')
  const initial = others.slice(0, n - 2)
  const joiners = others.slice(n - 2)
  let t = now()
  const created = await commitChanges(await createGroupState(`ch:bench/${n}`, own, config), { add: [observerPackage.publicPackage, ...initial.map((k) => k.publicPackage)] })
  const createMs = now() - t
  const welcome = created.welcome === null ? undefined : decodeMls(created.welcome)
  if (welcome?.wireformat !== 'mls_welcome') throw new Error('no welcome')
  t = now()
  let observer = await joinFromWelcome(welcome.welcome, observerPackage, config)
  const joinMs = now() - t

  let state = created.state
  const times: Record<Op, number[]> = { addCommit: [], addProcess: [], addJoin: [], removeCommit: [], removeProcess: [] }
  const bytes = { add: 0, welcome: 0, remove: 0 }
  for (let i = 0; i < cycles; i++) {
    const joiner = joiners[i]
    if (joiner === undefined) throw new Error('no joiner')
    const sample: Partial<Record<Op, number>> = {}
    t = now()
    const added = await commitChanges(state, { add: [joiner.publicPackage] })
    sample.addCommit = now() - t
    t = now()
    const observed = await processPrivate(observer, decodeMls(added.commit), (leaf) => leaf === 0)
    sample.addProcess = now() - t
    const addedWelcome = added.welcome === null ? undefined : decodeMls(added.welcome)
    if (observed.kind !== 'commit' || addedWelcome?.wireformat !== 'mls_welcome') throw new Error('add did not apply')
    t = now()
    await joinFromWelcome(addedWelcome.welcome, joiner, config)
    sample.addJoin = now() - t

    // Someone from across the tree leaves (never the committer or the observer).
    const candidates = membersOf(added.state).filter((m) => m.leaf !== 0 && m.leaf !== ownLeaf(observed.state))
    const victim = candidates[(i * 7919) % candidates.length]?.leaf ?? 2
    t = now()
    const removed = await commitChanges(added.state, { remove: [victim] })
    sample.removeCommit = now() - t
    t = now()
    const observedRemove = await processPrivate(observed.state, decodeMls(removed.commit), (leaf) => leaf === 0)
    sample.removeProcess = now() - t
    if (observedRemove.kind !== 'commit') throw new Error('remove did not apply')
    state = removed.state
    observer = observedRemove.state
    bytes.add = added.commit.byteLength
    bytes.welcome = added.welcome?.byteLength ?? 0
    bytes.remove = removed.commit.byteLength
    if (i >= MEMBERSHIP_WARMUP) for (const k of OPS) times[k].push(sample[k] ?? Number.NaN)
  }
  const summary = { addCommit: summarize(times.addCommit), addProcess: summarize(times.addProcess), addJoin: summarize(times.addJoin), removeCommit: summarize(times.removeCommit), removeProcess: summarize(times.removeProcess) }
  return { members: membersOf(state).length, createMs, joinMs, addCommitBytes: bytes.add, addWelcomeBytes: bytes.welcome, removeCommitBytes: bytes.remove, times, summary }
}
