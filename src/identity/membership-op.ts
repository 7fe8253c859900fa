import { z } from 'zod'
import { EnclaveError } from '../errors.js'
import { canonicalDecode, canonicalEncode, domainHash } from './canonical.js'
import { publicKeyOfPeer, SIGNATURE_DOMAINS, signFor, verifyFor } from './signing.js'
import { idSchema, isWorkspaceId, parseDepartmentId, parseDeviceText, parseInviteId, parseUserId } from '../ids.js'
import { MAX_AVATAR_BYTES, MAX_BLOCKED_EXTENSIONS, MAX_FILE_BYTES, MAX_DISPLAY_NAME, MAX_INVITE_USES, MAX_MEMBER_DEPARTMENTS, MAX_PROFILE_EMAIL, MAX_PROFILE_PHONE, MAX_PROFILE_TITLE, MAX_RECALL_MINUTES, MAX_RELAY_ADDRESS, MAX_WORKSPACE_RELAYS } from '../limits.js'
import { rootPublicKeyFromRaw, workspaceIdOf, type WorkspaceId } from './workspace-key.js'
import { IMAGE_TYPES, type ImageType } from '../image-data.js'
import type { PrivateKey } from '@libp2p/interface'

/** A file extension as a file policy lists it: lower case, no dot. */
export const FILE_EXTENSION = z.string().regex(/^[a-z0-9]{1,16}$/, 'an extension: lower-case letters and digits, no dot')

export const ROLES = ['owner', 'admin', 'member', 'guest'] as const
export type Role = (typeof ROLES)[number]

/** Longest text fields in ops; the log is replicated to everyone, so it stays small. */
const NAME = z.string().min(1).max(MAX_DISPLAY_NAME)
const USER = idSchema(parseUserId)
const INVITE = idSchema(parseInviteId)
const DEPARTMENT = idSchema(parseDepartmentId)
const PEER = idSchema(parseDeviceText)
const HASH = z.string().regex(/^[0-9a-f]{64}$/)
const ROLE = z.enum(ROLES)
/** A relay's full multiaddr: ends in `/p2p/<id>`, and is not itself relayed. */
export const RELAY_ADDRESS = z.string().max(MAX_RELAY_ADDRESS).regex(/^\/[^\s]+\/p2p\/[1-9A-HJ-NP-Za-km-z]{40,64}$/).refine((a) => !a.includes('/p2p-circuit'), 'a relay address cannot itself be relayed')

/** An avatar is one of the small picture types (image-data.ts). */
export const AVATAR_TYPES = IMAGE_TYPES
export type AvatarType = ImageType

/**
 * A member's picture by reference: its SHA-256 (hex), type and size. The bytes travel apart
 * from the log (`/enclave/avatar/1.0.0`), so a profile op stays a few hundred bytes.
 */
const avatarRef = z.object({ sha256: HASH, type: z.enum(AVATAR_TYPES), size: z.number().int().min(1).max(MAX_AVATAR_BYTES) }).strict()
export type AvatarRef = z.infer<typeof avatarRef>

/**
 * The picture inline, as a data: URL: how ops written before avatars left the log carry it. The
 * log is append-only and signed, so such ops stay valid and are still shown; this device writes
 * only references, and the per-author op quota keeps a member from adding large inline ones.
 */
const LEGACY_AVATAR_LENGTH = 65_536
const inlineAvatar = z.string().max(LEGACY_AVATAR_LENGTH).regex(/^data:image\/(png|jpeg|webp);base64,[A-Za-z0-9+/=]+$/)

const profile = z.object({
  name: NAME,
  title: z.string().max(MAX_PROFILE_TITLE).optional(),
  /**
   * Phone and email inline: only in ops written before contact fields left the log (guests
   * receive the log). This device writes `contact` instead.
   */
  phone: z.string().max(MAX_PROFILE_PHONE).optional(),
  email: z.string().max(MAX_PROFILE_EMAIL).optional(),
  /** Commitment to the member's phone and email (src/identity/sealed-fields.ts): served to members, never to guests. */
  contact: HASH.optional(),
  avatar: z.union([avatarRef, inlineAvatar]).optional()
}).strict()
export type Profile = z.infer<typeof profile>

/** What an op does. Every variant and its rules are in docs/protocol.md. */
export const opBody = z.discriminatedUnion('type', [
  z.object({ type: z.literal('create'), name: NAME, rootKey: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === 32, 'an Ed25519 public key'), owner: z.object({ userId: USER, device: PEER, profile }).strict() }).strict(),
  z.object({ type: z.literal('add'), userId: USER, device: PEER, role: ROLE, profile }).strict(),
  z.object({ type: z.literal('remove'), userId: USER }).strict(),
  z.object({ type: z.literal('role'), userId: USER, role: ROLE }).strict(),
  /**
   * `secretSealed` commits to the secret's hash (src/identity/sealed-fields.ts), which only
   * members who are not guests fetch; `secretHash` inline is how ops written before that carry it.
   */
  z.object({
    type: z.literal('invite'), inviteId: INVITE, secretHash: HASH.optional(), secretSealed: HASH.optional(), role: ROLE, expiresAt: z.number().int().positive(), approval: z.boolean(),
    /** How many people may join with it; absent: one (every invite before reusable ones). */
    uses: z.number().int().min(2).max(MAX_INVITE_USES).optional(),
    /** Departments whoever joins with it is placed in. */
    departments: z.array(DEPARTMENT).min(1).max(MAX_MEMBER_DEPARTMENTS).optional()
  }).strict()
    .refine((b) => (b.secretHash === undefined) !== (b.secretSealed === undefined), 'an invite names its secret by exactly one of secretHash and secretSealed'),
  z.object({ type: z.literal('revokeInvite'), inviteId: INVITE }).strict(),
  z.object({ type: z.literal('redeem'), inviteId: INVITE, userId: USER, device: PEER, profile, at: z.number().int().positive() }).strict(),
  z.object({ type: z.literal('approve'), userId: USER }).strict(),
  /**
   * Another device of a member: by one of that member's devices, or an admin who may manage them.
   * `proof` is the added device's own signature (`deviceLinkProof`): nobody claims a device whose
   * key they do not hold, which would keep its owner from ever joining.
   */
  z.object({ type: z.literal('addDevice'), userId: USER, device: PEER, proof: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength === 64, 'an Ed25519 signature') }).strict(),
  /** A member's device taken away (lost, replaced): by the same, never the member's last device. */
  z.object({ type: z.literal('removeDevice'), userId: USER, device: PEER }).strict(),
  z.object({ type: z.literal('profile'), userId: USER, profile }).strict(),
  z.object({ type: z.literal('department'), departmentId: DEPARTMENT, parentId: DEPARTMENT.nullable(), name: NAME, order: z.number().int() }).strict(),
  z.object({ type: z.literal('deleteDepartment'), departmentId: DEPARTMENT }).strict(),
  z.object({ type: z.literal('assign'), userId: USER, departments: z.array(DEPARTMENT).max(MAX_MEMBER_DEPARTMENTS) }).strict(),
  /** Replaces the workspace's relay list (admins). */
  z.object({ type: z.literal('relays'), relays: z.array(RELAY_ADDRESS).max(MAX_WORKSPACE_RELAYS) }).strict(),
  /** Workspace policy (admins): may members' devices relay for colleagues who cannot reach each other. */
  z.object({ type: z.literal('settings'), memberRelay: z.boolean() }).strict(),
  /** The workspace's file rules (admins; files/file-policy.ts): largest file, blocked extensions, files with guests. */
  z.object({ type: z.literal('filePolicy'), maxBytes: z.number().int().min(0).max(MAX_FILE_BYTES).nullable(), blocked: z.array(FILE_EXTENSION).max(MAX_BLOCKED_EXTENSIONS), guests: z.boolean() }).strict(),
  /** The workspace's message rules (admins): how long after sending its author may recall a message (null: any time). */
  z.object({ type: z.literal('messagePolicy'), recallMinutes: z.number().int().min(1).max(MAX_RECALL_MINUTES).nullable() }).strict(),
  /** Admins: may, must or must not members keep backups of their devices (docs/backup.md). */
  z.object({ type: z.literal('backupPolicy'), backups: z.enum(['optional', 'required', 'forbidden']) }).strict()
])
export type OpBody = z.infer<typeof opBody>
/** An op body as its author writes it, before `signOp` checks and brands its ids. */
export type OpBodyInput = z.input<typeof opBody>
export type OpType = OpBody['type']

/** Most parents one op names; with more heads than this, an op names the most recent ones. */
export const MAX_PARENTS = 64

const unsignedOp = z.object({
  v: z.literal(1),
  ws: z.string().refine(isWorkspaceId, 'not a workspace id'),
  /** Heads of the log the author had seen: this op comes after all of them. Sorted, unique. */
  parents: z.array(HASH).max(MAX_PARENTS),
  /** The signing device's PeerId; `root` for the genesis op, signed by the workspace root key. */
  author: z.union([z.literal('root'), PEER]),
  /** Author's clock, ms. Informational, except for invite expiry checked against `redeem.at`. */
  ts: z.number().int().nonnegative(),
  body: opBody
}).strict()
export type UnsignedOp = z.infer<typeof unsignedOp>
export type UnsignedOpInput = z.input<typeof unsignedOp>

/** An op as stored and sent: its canonical bytes and the signature over them. */
export interface SignedOp {
  bytes: Uint8Array
  sig: Uint8Array
}

/** A verified op: decoded, signature checked, with its id. */
export interface VerifiedOp extends UnsignedOp {
  id: string
  signed: SignedOp
}

/** Largest encoded op accepted. */
export const MAX_OP_BYTES = 96 * 1024

export function opId(bytes: Uint8Array): string {
  return domainHash('enclave/op-id/v1', bytes)
}

export async function signOp(key: PrivateKey, op: UnsignedOpInput): Promise<VerifiedOp> {
  const result = unsignedOp.safeParse({ ...op, parents: [...new Set(op.parents)].sort() })
  if (!result.success) {
    const issue = result.error.issues[0]
    throw new EnclaveError('bad-request', `invalid ${op.body.type}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim())
  }
  const parsed = result.data
  const bytes = canonicalEncode(parsed)
  const sig = await signFor(key, SIGNATURE_DOMAINS.membershipOp, bytes)
  return { ...parsed, id: opId(bytes), signed: { bytes, sig } }
}

/**
 * The one verifier of op form and signature. It checks that the bytes are canonical, the op is
 * well formed, belongs to `ws`, and is signed by the key of the author it names (the root key
 * for genesis). Whether the author was *allowed* to do it is the membership state's job.
 */
export async function verifyOp(signed: SignedOp, ws: WorkspaceId): Promise<VerifiedOp> {
  return checkOp(signed, ws, true)
}

/**
 * For ops this device verified before it stored them: the same checks without the signature
 * (~110 µs each here, 2 s for a 20,000-member log at every start). Never for ops from outside.
 */
export async function readStoredOp(signed: SignedOp, ws: WorkspaceId): Promise<VerifiedOp> {
  return checkOp(signed, ws, false)
}

async function checkOp(signed: SignedOp, ws: WorkspaceId, checkSignature: boolean): Promise<VerifiedOp> {
  if (signed.bytes.byteLength > MAX_OP_BYTES) throw new EnclaveError('too-large', 'membership op too large')
  const parsed = unsignedOp.safeParse(canonicalDecode(signed.bytes))
  if (!parsed.success) throw new EnclaveError('bad-frame', `malformed membership op: ${parsed.error.issues[0]?.path.join('.') ?? ''} ${parsed.error.issues[0]?.message ?? ''}`)
  const op = parsed.data
  if (op.ws !== ws) throw new EnclaveError('wrong-conversation', 'op belongs to another workspace')
  const sorted = [...new Set(op.parents)].sort()
  if (sorted.length !== op.parents.length || sorted.some((p, i) => p !== op.parents[i])) throw new EnclaveError('bad-frame', 'op parents must be sorted and unique')
  if (!checkSignature) return { ...op, id: opId(signed.bytes), signed }
  let key
  if (op.author === 'root') {
    if (op.body.type !== 'create') throw new EnclaveError('wrong-author', 'only the genesis op is signed by the root key')
    key = rootPublicKeyFromRaw(op.body.rootKey)
    if (workspaceIdOf(key) !== ws) throw new EnclaveError('wrong-author', 'genesis root key does not match the workspace id')
  } else {
    key = publicKeyOfPeer(op.author)
    if (key === null) throw new EnclaveError('wrong-author', 'op author is not an Ed25519 device id')
  }
  if (!await verifyFor(key, SIGNATURE_DOMAINS.membershipOp, signed.bytes, signed.sig)) throw new EnclaveError('wrong-author', 'op signature does not verify for its author')
  if (op.body.type === 'addDevice') {
    const device = publicKeyOfPeer(op.body.device)
    if (device === null || !await verifyFor(device, SIGNATURE_DOMAINS.deviceLink, deviceLinkBytes(ws, op.body.userId, op.body.device), op.body.proof)) {
      throw new EnclaveError('wrong-author', 'the added device did not sign its link to this account')
    }
  }
  return { ...op, id: opId(signed.bytes), signed }
}

function deviceLinkBytes(ws: string, userId: string, device: string): Uint8Array {
  return canonicalEncode({ ws, userId, device })
}

/** The new device's consent to join `userId`'s account in `ws`: the `proof` of an `addDevice` op. */
export async function deviceLinkProof(deviceKey: PrivateKey, ws: WorkspaceId, userId: string, device: string): Promise<Uint8Array> {
  return signFor(deviceKey, SIGNATURE_DOMAINS.deviceLink, deviceLinkBytes(ws, userId, device))
}
