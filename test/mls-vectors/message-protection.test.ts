// RFC 9420 message-protection vectors. For the proposal, commit and application in each
// vector: the given PublicMessage/PrivateMessage must unprotect to the raw value, and our own
// protection of the raw value must unprotect again. Leaf 1 is the sender throughout.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { CiphersuiteImpl, GroupContext, PrivateMessage, PublicMessage, RatchetTree, SecretTree } from 'ts-mls'
import { defaultCapabilities, defaultKeyRetentionConfig, defaultPaddingConfig } from 'ts-mls'
import type { AuthenticatedContent } from 'ts-mls/authenticatedContent.js'
import { decodeCommit, encodeCommit } from 'ts-mls/commit.js'
import { createContentCommitSignature } from 'ts-mls/framedContent.js'
import { protect, protectApplicationData, protectProposal, unprotectPrivateMessage } from 'ts-mls/messageProtection.js'
import { protectProposalPublic, protectPublicMessage, unprotectPublicMessage } from 'ts-mls/messageProtectionPublic.js'
import { CryptoVerificationError, UsageError } from 'ts-mls/mlsError.js'
import { decodeProposal, encodeProposal } from 'ts-mls/proposal.js'
import { createSecretTree } from 'ts-mls/secretTree.js'
import { groupContext } from './group-context.js'
import { decodeFramed } from './messages-util.js'
import type { VectorCase } from './runner.js'
import { runSuiteVectors } from './runner.js'
import { loadVectors } from './vectors.js'

const SENDER = 1
const NO_AAD = new Uint8Array()

interface Ctx {
  c: VectorCase
  cs: CiphersuiteImpl
  gc: GroupContext
  tree: RatchetTree
  membershipKey: Uint8Array
  senderDataSecret: Uint8Array
  signPriv: Uint8Array
}

// ts-mls finds the sender's signature key in the ratchet tree, so the two-member tree carries
// signature_pub at leaf 1; the remaining leaf fields are never consulted by (un)protection.
function twoMemberTree(signaturePublicKey: Uint8Array): RatchetTree {
  const leaf = {
    leafNodeSource: 'commit' as const,
    hpkePublicKey: new Uint8Array(32),
    signaturePublicKey,
    credential: { credentialType: 'basic' as const, identity: new Uint8Array([1]) },
    capabilities: defaultCapabilities(),
    parentHash: new Uint8Array(),
    extensions: [],
    signature: new Uint8Array()
  }
  return [undefined, undefined, { nodeType: 'leaf', leaf }]
}

// Every private step starts from a fresh two-leaf secret tree: ratchet keys are consumed on use.
function freshSecretTree(x: Ctx): Promise<SecretTree> {
  return createSecretTree(2, x.c.v.hex('encryption_secret'), x.cs.kdf)
}

async function unprotectPrivate(x: Ctx, msg: PrivateMessage): Promise<AuthenticatedContent> {
  const secretTree = await freshSecretTree(x)
  const r = await unprotectPrivateMessage(x.senderDataSecret, msg, secretTree, x.tree, x.gc, defaultKeyRetentionConfig, x.cs)
  return r.content
}

function expectProposal(x: Ctx, ac: AuthenticatedContent, what: string): void {
  if (ac.content.contentType !== 'proposal') throw new Error(x.c.msg(`${what}: got ${ac.content.contentType}`))
  x.c.bytes(encodeProposal(ac.content.proposal), x.c.v.hex('proposal'), what)
}

function expectCommit(x: Ctx, ac: AuthenticatedContent, what: string): void {
  if (ac.content.contentType !== 'commit') throw new Error(x.c.msg(`${what}: got ${ac.content.contentType}`))
  x.c.bytes(encodeCommit(ac.content.commit), x.c.v.hex('commit'), what)
}

function publicOf(x: Ctx, field: string): PublicMessage {
  const f = decodeFramed(x.c, x.c.v.hex(field), field)
  if (f.kind !== 'public') throw new Error(x.c.msg(`${field} is not a PublicMessage`))
  return f.msg
}

function privateOf(x: Ctx, field: string): PrivateMessage {
  const f = decodeFramed(x.c, x.c.v.hex(field), field)
  if (f.kind !== 'private') throw new Error(x.c.msg(`${field} is not a PrivateMessage`))
  return f.msg
}

async function proposalChecks(x: Ctx): Promise<void> {
  const { c, cs, gc, tree, membershipKey } = x
  const [proposal] = c.some(decodeProposal(c.v.hex('proposal'), 0), 'proposal decodes')

  const pub = publicOf(x, 'proposal_pub')
  expectProposal(x, await unprotectPublicMessage(membershipKey, gc, tree, pub, cs), 'proposal_pub unprotects')
  // A membership tag under any other key must be rejected, or the check above proves little.
  const wrongKey = membershipKey.map((b, i) => (i === 0 ? b ^ 1 : b))
  const forged = unprotectPublicMessage(wrongKey, gc, tree, pub, cs)
  await assert.rejects(forged, CryptoVerificationError, c.msg('proposal_pub under a wrong membership_key'))

  const ours = await protectProposalPublic(x.signPriv, membershipKey, gc, NO_AAD, proposal, SENDER, cs)
  const back = await unprotectPublicMessage(membershipKey, gc, tree, ours.publicMessage, cs)
  expectProposal(x, back, 'our public proposal round-trips')

  expectProposal(x, await unprotectPrivate(x, privateOf(x, 'proposal_priv')), 'proposal_priv unprotects')
  const st = await freshSecretTree(x)
  const sealed = await protectProposal(x.signPriv, x.senderDataSecret, proposal, NO_AAD, gc, st, SENDER, defaultPaddingConfig, cs)
  expectProposal(x, await unprotectPrivate(x, sealed.privateMessage), 'our private proposal round-trips')
}

async function commitChecks(x: Ctx): Promise<void> {
  const { c, cs, gc, tree, membershipKey } = x
  const [commit] = c.some(decodeCommit(c.v.hex('commit'), 0), 'commit decodes')
  // Nothing in (un)protection verifies the confirmation tag (that needs the next epoch's
  // key), so any MAC-sized value stands in for it.
  const confirmationTag = new Uint8Array(cs.kdf.size).fill(0xc7)
  const sender = { senderType: 'member' as const, leafIndex: SENDER }

  const given = await unprotectPublicMessage(membershipKey, gc, tree, publicOf(x, 'commit_pub'), cs)
  expectCommit(x, given, 'commit_pub unprotects')
  const signedPub = await createContentCommitSignature(gc, 'mls_public_message', commit, sender, NO_AAD, x.signPriv, cs.signature)
  const ac: AuthenticatedContent = {
    wireformat: 'mls_public_message',
    content: signedPub.framedContent,
    auth: { contentType: 'commit', signature: signedPub.signature, confirmationTag }
  }
  const pub = await protectPublicMessage(membershipKey, gc, ac, cs)
  expectCommit(x, await unprotectPublicMessage(membershipKey, gc, tree, pub, cs), 'our public commit round-trips')

  expectCommit(x, await unprotectPrivate(x, privateOf(x, 'commit_priv')), 'commit_priv unprotects')
  const signedPriv = await createContentCommitSignature(gc, 'mls_private_message', commit, sender, NO_AAD, x.signPriv, cs.signature)
  const auth = { contentType: 'commit' as const, signature: signedPriv.signature, confirmationTag }
  const st = await freshSecretTree(x)
  const sealed = await protect(x.senderDataSecret, NO_AAD, gc, st, { contentType: 'commit', commit, auth }, SENDER, defaultPaddingConfig, cs)
  expectCommit(x, await unprotectPrivate(x, sealed.privateMessage), 'our private commit round-trips')
}

async function applicationChecks(x: Ctx): Promise<void> {
  const { c, cs, gc } = x
  const data = c.v.hex('application')
  const expectData = (ac: AuthenticatedContent, what: string): void => {
    if (ac.content.contentType !== 'application') throw new Error(c.msg(`${what}: got ${ac.content.contentType}`))
    c.bytes(ac.content.applicationData, data, what)
  }

  const given = await unprotectPrivate(x, privateOf(x, 'application_priv'))
  expectData(given, 'application_priv unprotects')
  const st = await freshSecretTree(x)
  const sealed = await protectApplicationData(x.signPriv, x.senderDataSecret, data, NO_AAD, gc, st, SENDER, defaultPaddingConfig, cs)
  expectData(await unprotectPrivate(x, sealed.privateMessage), 'our private application round-trips')

  // RFC 9420 §6.2: application data must never be sent as a PublicMessage.
  const asPublic: AuthenticatedContent = { ...given, wireformat: 'mls_public_message' }
  await assert.rejects(protectPublicMessage(x.membershipKey, gc, asPublic, cs), UsageError, c.msg('application as PublicMessage'))
}

test('RFC 9420 message-protection vectors', async (t) => {
  await runSuiteVectors(t, 'message-protection', loadVectors('message-protection'), async (c, cs) => {
    const gc = groupContext(cs, {
      groupId: c.v.hex('group_id'),
      epoch: BigInt(c.v.num('epoch')),
      treeHash: c.v.hex('tree_hash'),
      confirmedTranscriptHash: c.v.hex('confirmed_transcript_hash')
    })
    const x: Ctx = {
      c,
      cs,
      gc,
      tree: twoMemberTree(c.v.hex('signature_pub')),
      membershipKey: c.v.hex('membership_key'),
      senderDataSecret: c.v.hex('sender_data_secret'),
      signPriv: c.v.hex('signature_priv')
    }
    await proposalChecks(x)
    await commitChecks(x)
    await applicationChecks(x)
  })
})
