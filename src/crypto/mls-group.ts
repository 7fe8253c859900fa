import {
  createApplicationMessage, createCommit, createGroup, decodeGroupState, decodeMlsMessage, defaultCapabilities, defaultLifetime,
  emptyPskIndex, encodeGroupState, encodeMlsMessage, generateKeyPackageWithKey, joinGroup, processPrivateMessage, zeroOutUint8Array,
  type ClientState, type Credential, type KeyPackage, type MLSMessage, type PrivateKeyPackage, type Proposal, type RatchetTree, type Welcome
} from 'ts-mls'
import { makeKeyPackageRef } from 'ts-mls/keyPackage.js'
import { decryptSenderData } from 'ts-mls/privateMessage.js'
import { EnclaveError, errorMessage } from '../errors.js'
import { claimedDevice } from './mls-credential.js'
import { MLS_SUITE, mlsSuite } from './mls-suite.js'
import type { PeerIdString } from '../api/contract.js'
import type { ClientConfig } from 'ts-mls/clientConfig.js'

/** Largest MLS message accepted: a welcome into a 2,000-member group is ~700 KB. */
export const MAX_MLS_BYTES = 1024 * 1024

/** This device's MLS signing identity (one per device, bound to its libp2p key by the credential). */
export interface MlsSigner {
  signKey: Uint8Array
  publicKey: Uint8Array
  credential: Credential
}

export interface OwnKeyPackage {
  publicPackage: KeyPackage
  privatePackage: PrivateKeyPackage
  /** KeyPackageRef (hex): how a welcome names the package it is for. */
  ref: string
}

export interface GroupMember { leaf: number; device: PeerIdString }

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')

/** Forward secrecy in memory too: keys the library used up are overwritten, not left for the GC. */
function wipe(consumed: Uint8Array[]): void {
  for (const key of consumed) zeroOutUint8Array(key)
}

export async function newSigningKeys(): Promise<{ signKey: Uint8Array; publicKey: Uint8Array }> {
  return (await mlsSuite()).signature.keygen()
}

export async function newKeyPackage(signer: MlsSigner): Promise<OwnKeyPackage> {
  const cs = await mlsSuite()
  const { publicPackage, privatePackage } = await generateKeyPackageWithKey(signer.credential, defaultCapabilities(), defaultLifetime, [], signer, cs)
  return { publicPackage, privatePackage, ref: hex(await makeKeyPackageRef(publicPackage, cs.hash)) }
}

export async function keyPackageRef(kp: KeyPackage): Promise<string> {
  return hex(await makeKeyPackageRef(kp, (await mlsSuite()).hash))
}

/** Parses any MLS wire message of our suite; every failure is `bad-frame`. */
export function decodeMls(bytes: Uint8Array): MLSMessage {
  if (bytes.byteLength > MAX_MLS_BYTES) throw new EnclaveError('too-large', 'MLS message too large')
  let decoded: [MLSMessage, number] | undefined
  try {
    decoded = decodeMlsMessage(bytes, 0)
  } catch (err) {
    throw new EnclaveError('bad-frame', `malformed MLS message: ${errorMessage(err)}`)
  }
  if (decoded === undefined) throw new EnclaveError('bad-frame', 'malformed MLS message')
  const [msg, used] = decoded
  if (used !== bytes.byteLength) throw new EnclaveError('bad-frame', 'trailing bytes after MLS message')
  return msg
}

export function encodeKeyPackage(kp: KeyPackage): Uint8Array {
  return encodeMlsMessage({ version: 'mls10', wireformat: 'mls_key_package', keyPackage: kp })
}

export function decodeKeyPackage(bytes: Uint8Array): KeyPackage {
  const msg = decodeMls(bytes)
  if (msg.wireformat !== 'mls_key_package') throw new EnclaveError('bad-frame', 'expected a key package')
  if (msg.keyPackage.cipherSuite !== MLS_SUITE) throw new EnclaveError('unsupported-version', `key package suite ${msg.keyPackage.cipherSuite} is not ours`)
  return msg.keyPackage
}

export function encodeState(state: ClientState): Uint8Array {
  return encodeGroupState(state)
}

export function decodeState(bytes: Uint8Array, config: ClientConfig): ClientState {
  const decoded = decodeGroupState(bytes, 0)
  if (decoded === undefined) throw new EnclaveError('store-error', 'stored MLS group state does not decode')
  return { ...decoded[0], clientConfig: config }
}

export function epochOf(state: ClientState): number {
  return Number(state.groupContext.epoch)
}

export function isActive(state: ClientState): boolean {
  return state.groupActiveState.kind === 'active'
}

/** Every occupied leaf with the device its credential names, by leaf index. */
export function membersOf(state: ClientState): GroupMember[] {
  const out: GroupMember[] = []
  state.ratchetTree.forEach((node, nodeIndex) => {
    if (node?.nodeType !== 'leaf') return
    const device = claimedDevice(node.leaf.credential)
    if (device !== null) out.push({ leaf: nodeIndex / 2, device })
  })
  return out
}

export function ownLeaf(state: ClientState): number {
  return state.privatePath.leafIndex
}

export async function createGroupState(groupId: string, own: OwnKeyPackage, config: ClientConfig): Promise<ClientState> {
  return createGroup(new TextEncoder().encode(groupId), own.publicPackage, own.privatePackage, [], await mlsSuite(), config)
}

export interface CommitOutput {
  state: ClientState
  commit: Uint8Array
  /** For the devices added, if any. */
  welcome: Uint8Array | null
}

/** One commit adding and/or removing members. The ratchet tree rides in the welcome, so joiners need nothing else. */
export async function commitChanges(state: ClientState, change: { add?: KeyPackage[]; remove?: number[] }): Promise<CommitOutput> {
  const proposals: Proposal[] = [
    ...(change.remove ?? []).map((removed): Proposal => ({ proposalType: 'remove', remove: { removed } })),
    ...(change.add ?? []).map((keyPackage): Proposal => ({ proposalType: 'add', add: { keyPackage } }))
  ]
  const result = await createCommit({ state, cipherSuite: await mlsSuite() }, { extraProposals: proposals, ratchetTreeExtension: true })
  wipe(result.consumed)
  return {
    state: result.newState,
    commit: encodeMlsMessage(result.commit),
    welcome: result.welcome === undefined ? null : encodeMlsMessage({ version: 'mls10', wireformat: 'mls_welcome', welcome: result.welcome })
  }
}

export async function encryptApplication(state: ClientState, plaintext: Uint8Array): Promise<{ state: ClientState; message: Uint8Array }> {
  const result = await createApplicationMessage(state, plaintext, await mlsSuite())
  wipe(result.consumed)
  return { state: result.newState, message: encodeMlsMessage({ version: 'mls10', wireformat: 'mls_private_message', privateMessage: result.privateMessage }) }
}

/** The KeyPackageRefs a welcome is for. */
export function welcomeTargets(welcome: Welcome): string[] {
  return welcome.secrets.map((s) => hex(s.newMember))
}

export async function joinFromWelcome(welcome: Welcome, own: OwnKeyPackage, config: ClientConfig): Promise<ClientState> {
  return joinGroup(welcome, own.publicPackage, own.privatePackage, emptyPskIndex, await mlsSuite(), undefined, undefined, config)
}

export type Incoming =
  /** `device`: the device whose credential sits at the sending leaf (proved when it was added). */
  | { kind: 'application'; state: ClientState; plaintext: Uint8Array; device: string }
  | { kind: 'commit'; state: ClientState; sender: number }
  /** A commit from a member the committer policy does not allow now: not applied, try again later. */
  | { kind: 'refused'; sender: number }

/**
 * Decrypts a private message (application or commit). `mayCommit` is the committer policy:
 * a commit from any other leaf is refused and the state stays as it was (the caller keeps the
 * state it passed in), so it can be offered again once the policy's view changes.
 *
 * `author`, when given, is the device an application message must come from: one from another
 * leaf is refused before its key is used. Decrypting wipes the key of that sender's generation,
 * so a member's message relabelled under someone else's name would otherwise cost the member
 * its real copy, which then arrives to a key already gone.
 */
export async function processPrivate(state: ClientState, msg: MLSMessage, mayCommit: (leaf: number) => boolean, author?: string): Promise<Incoming> {
  if (msg.wireformat !== 'mls_private_message') throw new EnclaveError('bad-frame', `expected an MLS private message, got ${msg.wireformat}`)
  const cs = await mlsSuite()
  const sender = { leaf: -1 }
  let device: string | null = null
  if (msg.privateMessage.contentType === 'application') {
    device = await applicationSender(state, msg.privateMessage)
    if (author !== undefined && device !== null && device !== author) throw new EnclaveError('wrong-author', 'MLS sender is not the envelope\'s author')
  }
  const result = await processPrivateMessage(state, msg.privateMessage, emptyPskIndex, cs, (incoming) => {
    if (incoming.kind !== 'commit' || incoming.senderLeafIndex === undefined) return 'reject'
    sender.leaf = incoming.senderLeafIndex
    return mayCommit(incoming.senderLeafIndex) ? 'accept' : 'reject'
  })
  wipe(result.consumed)
  if (result.kind === 'applicationMessage') {
    if (device === null) throw new EnclaveError('wrong-author', 'application message from a leaf with no device credential')
    return { kind: 'application', state: result.newState, plaintext: result.message, device }
  }
  if (result.actionTaken === 'reject') return { kind: 'refused', sender: sender.leaf }
  return { kind: 'commit', state: result.newState, sender: sender.leaf }
}

/**
 * The device that sent an application message. ts-mls verifies the sender's signature but does
 * not say who it was, so the sender data is opened once more with the epoch's sender-data
 * secret (which does not ratchet) and the leaf looked up in that epoch's tree.
 */
async function applicationSender(state: ClientState, pm: Extract<MLSMessage, { wireformat: 'mls_private_message' }>['privateMessage']): Promise<string | null> {
  let secret: Uint8Array
  let tree: RatchetTree
  if (pm.epoch === state.groupContext.epoch) {
    secret = state.keySchedule.senderDataSecret
    tree = state.ratchetTree
  } else {
    const past = state.historicalReceiverData.get(pm.epoch)
    if (past === undefined) return null
    secret = past.senderDataSecret
    tree = past.ratchetTree
  }
  const data = await decryptSenderData(pm, secret, await mlsSuite())
  if (data === undefined) return null
  const node = tree[data.leafIndex * 2]
  return node?.nodeType === 'leaf' ? claimedDevice(node.leaf.credential) : null
}
