// RFC 9420 treekem vectors: each member's private TreeKEM state must match the public tree;
// each given UpdatePath must merge to the expected tree hash and decrypt, for every other
// member, to the expected path secret and commit secret; and an UpdatePath we create from
// the sender must yield the same commit secret for every other member.
import { test } from 'node:test'
import type { CiphersuiteImpl, GroupContext, PrivateKeyPath, RatchetTree } from 'ts-mls'
import { applyUpdatePathSecret } from 'ts-mls/createCommit.js'
import { deriveSecret } from 'ts-mls/crypto/kdf.js'
import { verifyParentHashes } from 'ts-mls/parentHash.js'
import { getCommitSecret } from 'ts-mls/pathSecrets.js'
import { decodeRatchetTree, getHpkePublicKey } from 'ts-mls/ratchetTree.js'
import { treeHashRoot } from 'ts-mls/treeHash.js'
import { leafToNodeIndex, leafWidth, root, toLeafIndex } from 'ts-mls/treemath.js'
import type { UpdatePath } from 'ts-mls/updatePath.js'
import { applyUpdatePath, createUpdatePath, decodeUpdatePath } from 'ts-mls/updatePath.js'
import { groupContext } from './group-context.js'
import { hpkeKeysMatch } from './keys.js'
import type { VectorCase } from './runner.js'
import { runSuiteVectors } from './runner.js'
import { FULL_VECTORS, HEAVY_PROVIDERS } from './suites.js'
import type { Json } from './vectors.js'
import { loadVectors } from './vectors.js'

interface Member {
  path: PrivateKeyPath
  signaturePriv: Uint8Array
}

/** What every check of one vector shares. */
interface Group {
  c: VectorCase
  cs: CiphersuiteImpl
  tree: RatchetTree
  base: GroupContext
  members: Map<number, Member>
}

// Builds leaf_private[index] and checks it against the public tree on the way: the leaf key
// pair, and for each path secret the node key pair it derives (RFC 9420 §7.4).
async function loadMember(c: VectorCase, cs: CiphersuiteImpl, tree: RatchetTree, lp: Json): Promise<Member> {
  const index = lp.num('index')
  const leafNode = leafToNodeIndex(toLeafIndex(index))
  const leaf = tree[leafNode]
  if (leaf?.nodeType !== 'leaf') throw new Error(c.msg(`leaf ${index} is blank`))
  const encryptionPriv = lp.hex('encryption_priv')
  c.ok(hpkeKeysMatch(cs, leaf.leaf.hpkePublicKey, encryptionPriv), `leaf ${index} encryption_priv matches the tree`)

  const privateKeys: Record<number, Uint8Array> = { [leafNode]: encryptionPriv }
  for (const ps of lp.list('path_secrets')) {
    const node = ps.num('node')
    const treeNode = c.some(tree[node], `leaf ${index}: node ${node} non-blank`)
    const { privateKey, publicKey } = await cs.hpke.deriveKeyPair(await deriveSecret(ps.hex('path_secret'), 'node', cs.kdf))
    c.bytes(await cs.hpke.exportPublicKey(publicKey), getHpkePublicKey(treeNode), `leaf ${index}: node ${node} public key`)
    privateKeys[node] = await cs.hpke.exportPrivateKey(privateKey)
  }
  return { path: { leafIndex: index, privateKeys }, signaturePriv: lp.hex('signature_priv') }
}

/** Decrypts `path` as member `m` and returns the path secret it learns and the commit secret. */
async function receive(
  g: Group,
  m: Member,
  sender: number,
  gc: GroupContext,
  path: UpdatePath
): Promise<{ pathSecret: Uint8Array; commitSecret: Uint8Array }> {
  const got = await applyUpdatePathSecret(g.tree, m.path, toLeafIndex(sender), gc, path, [], g.cs)
  const commitSecret = await getCommitSecret(g.tree, got.nodeIndex, got.pathSecret, g.cs.kdf)
  return { pathSecret: got.pathSecret, commitSecret }
}

async function checkGivenPath(g: Group, up: Json, u: number): Promise<void> {
  const { c, cs } = g
  const what = `update_paths[${u}]`
  const sender = up.num('sender')
  const [path] = c.some(decodeUpdatePath(up.hex('update_path'), 0), `${what} decodes`)
  const merged = await applyUpdatePath(g.tree, toLeafIndex(sender), path, cs.hash)
  const mergedHash = await treeHashRoot(merged, cs.hash)
  c.bytes(mergedHash, up.hex('tree_hash_after'), `${what}.tree_hash_after`)
  c.ok(await verifyParentHashes(merged, cs.hash), `${what} is parent-hash valid`)

  const expected = up.list('path_secrets')
  const gc = { ...g.base, treeHash: mergedHash }
  for (const [j, m] of g.members) {
    const want = c.some(expected[j], `${what}.path_secrets[${j}]`)
    if (j === sender) {
      c.ok(want.isNull(), `${what}.path_secrets[${j}] is null for the sender`)
      continue
    }
    const got = await receive(g, m, sender, gc, path)
    c.bytes(got.pathSecret, want.bytes(), `${what}.path_secrets[${j}]`)
    c.bytes(got.commitSecret, up.hex('commit_secret'), `${what}.commit_secret at leaf ${j}`)
  }
}

async function checkOwnPath(g: Group, sender: number): Promise<void> {
  const { c, cs, tree } = g
  const what = `our UpdatePath from leaf ${sender}`
  const me = c.some(g.members.get(sender), `private state of sender ${sender}`)
  const [newTree, path, secrets] = await createUpdatePath(tree, toLeafIndex(sender), g.base, me.signaturePriv, cs)
  const rootIndex = root(leafWidth(tree.length))
  const rootSecret = c.some(secrets.find((s) => s.nodeIndex === rootIndex), `${what}: root path secret`)
  const commitSecret = await deriveSecret(rootSecret.secret, 'path', cs.kdf)

  // What receivers merge must be the tree the sender built.
  const newHash = await treeHashRoot(newTree, cs.hash)
  const merged = await applyUpdatePath(tree, toLeafIndex(sender), path, cs.hash)
  c.bytes(await treeHashRoot(merged, cs.hash), newHash, `${what}: merged tree hash`)
  c.ok(await verifyParentHashes(newTree, cs.hash), `${what}: parent-hash valid`)

  // ts-mls encrypts a new path under the provisional next-epoch context (epoch + 1), as a
  // real commit would; receivers must use the same context to decrypt.
  const gc = { ...g.base, treeHash: newHash, epoch: g.base.epoch + 1n }
  for (const [j, m] of g.members) {
    if (j === sender) continue
    c.bytes((await receive(g, m, sender, gc, path)).commitSecret, commitSecret, `${what}: commit secret at leaf ${j}`)
  }
}

// Creating and decrypting our own paths is the costliest step (P-521 HPKE at ~10-25 ms an
// operation) and repeats code the given paths already cover, so the default run creates one
// per vector, from the first update path's sender; ENCLAVE_FULL_VECTORS=1 does every sender.
const note = FULL_VECTORS ? 'own UpdatePath from every sender' : 'own UpdatePath from the first sender per vector only'

test('RFC 9420 treekem vectors', async (t) => {
  const run = async (c: VectorCase, cs: CiphersuiteImpl): Promise<void> => {
    const [tree] = c.some(decodeRatchetTree(c.v.hex('ratchet_tree'), 0), 'ratchet_tree decodes')
    const base = groupContext(cs, {
      groupId: c.v.hex('group_id'),
      epoch: BigInt(c.v.num('epoch')),
      treeHash: await treeHashRoot(tree, cs.hash),
      confirmedTranscriptHash: c.v.hex('confirmed_transcript_hash')
    })
    const members = new Map<number, Member>()
    for (const lp of c.v.list('leaves_private')) members.set(lp.num('index'), await loadMember(c, cs, tree, lp))
    const g: Group = { c, cs, tree, base, members }

    for (const [u, up] of c.v.list('update_paths').entries()) {
      await checkGivenPath(g, up, u)
      if (FULL_VECTORS || u === 0) await checkOwnPath(g, up.num('sender'))
    }
  }
  await runSuiteVectors(t, 'treekem', loadVectors('treekem'), run, { providers: HEAVY_PROVIDERS, note })
})
