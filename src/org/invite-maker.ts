import { EnclaveError } from '../errors.js'
import { sealValue } from '../identity/sealed-fields.js'
import { encodeShortInviteLink, inviteSecretHash, inviteSecretOfSeed, inviteText, newInviteId, newInviteSeed } from '../identity/invite-link.js'
import { MAX_PARENTS, signOp, type Role, type VerifiedOp } from '../identity/membership-op.js'
import { rootFingerprint, rootPublicKeyFromRaw } from '../identity/workspace-key.js'
import type { DepartmentId, InviteSummary, InviteView, PeerIdString } from '../api/contract.js'
import type { Collection } from '../store/store.js'
import type { SealedValues } from './sealed-values.js'
import type { Workspace, WorkspaceRegistry } from './workspace-registry.js'
import type { PrivateKey } from '@libp2p/interface'

/** What one invite is to be: who may join with it, as what, until when. */
export interface InviteSpec {
  role: Role
  expiresAt: number
  approval: boolean
  /** How many people may join with it. */
  uses: number
  /** Departments whoever joins is placed in. */
  departments: DepartmentId[]
  /** Who it is for; kept on this device only. */
  label: string | null
}

export interface InviteMakerComponents {
  deviceKey: PrivateKey
  self: PeerIdString
  registry: WorkspaceRegistry
  sealed: SealedValues
  /** The store's `inviteLabels` collection: invite id → who it is for. */
  labels: Collection<{ label: string }>
  /** Where a joiner reaches this device: the addresses an invite link carries. */
  addresses(): string[]
}

export interface InviteMaker {
  /** Loads the labels of invites made here. */
  start(): Promise<void>
  /** Makes the invites in one append to the log (a CSV of a thousand rows is one write). */
  make(w: Workspace, specs: readonly InviteSpec[]): Promise<InviteView[]>
  summaries(w: Workspace): InviteSummary[]
}

export function createInviteMaker(components: InviteMakerComponents): InviteMaker {
  const { deviceKey, self, registry, sealed } = components
  const labels = new Map<string, string>()

  return {
    start: async () => {
      for await (const [inviteId, record] of components.labels.entries()) labels.set(inviteId, record.label)
    },

    make: async (w, specs) => {
      const ws = w.record.ws
      const made: Array<{ op: VerifiedOp; seed: Uint8Array; secret: Uint8Array; spec: InviteSpec }> = []
      let parents = w.log.recentHeads(MAX_PARENTS)
      for (const spec of specs) {
        // The link carries a 16-byte seed; the secret is derived from it (a shorter link and QR code).
        const seed = newInviteSeed()
        const secret = inviteSecretOfSeed(seed)
        // The log names the secret's hash by a commitment: guests receive the log, and only
        // members (admins answer joins) fetch the hash itself.
        const value = sealValue({ k: 'invite', secretHash: inviteSecretHash(secret) })
        await sealed.keep(value)
        const body = {
          type: 'invite' as const,
          inviteId: newInviteId(),
          secretSealed: value.commitment,
          role: spec.role,
          expiresAt: spec.expiresAt,
          approval: spec.approval,
          ...(spec.uses > 1 ? { uses: spec.uses } : {}),
          ...(spec.departments.length > 0 ? { departments: spec.departments } : {})
        }
        const op = await signOp(deviceKey, { v: 1, ws, parents, author: self, ts: Date.now(), body })
        // Each names the one before, so a batch is one chain in the log.
        parents = [op.id]
        made.push({ op, seed, secret, spec })
      }
      await registry.append(ws, made.map((m) => m.op))
      const rejected = made.map((m) => w.log.rejections().get(m.op.id)).find((r) => r !== undefined)
      if (rejected !== undefined) throw new EnclaveError('unauthorized', `the workspace refused that invite (${rejected})`)
      // Labels of invites the log took, so none is kept for an invite that does not exist.
      for (const { op, spec } of made) {
        if (spec.label === null || op.body.type !== 'invite') continue
        await components.labels.put(op.body.inviteId, { label: spec.label })
        labels.set(op.body.inviteId, spec.label)
      }
      const state = w.log.state()
      const fingerprint = rootFingerprint(rootPublicKeyFromRaw(state.rootKey))
      const addresses = components.addresses()
      return made.map(({ op, seed, secret, spec }) => {
        if (op.body.type !== 'invite') throw new EnclaveError('internal', 'not an invite op')
        const inviteId = op.body.inviteId
        const payload = { v: 1 as const, ws, name: state.name, fingerprint, addresses, inviteId, secret }
        const link = encodeShortInviteLink(payload, seed, self)
        return { inviteId, link, text: inviteText(payload, link), role: spec.role, expiresAt: spec.expiresAt, approval: spec.approval, maxUses: spec.uses, departments: spec.departments, label: spec.label }
      })
    },

    summaries: (w) => {
      const state = w.log.state()
      return [...state.invites.values()].map((i) => ({
        inviteId: i.inviteId,
        role: i.role,
        expiresAt: i.expiresAt,
        approval: i.approval,
        redeemed: i.redeemedBy.length >= i.maxUses,
        revoked: i.revoked,
        maxUses: i.maxUses,
        joined: i.redeemedBy.map((userId) => ({ userId, name: state.members.get(userId)?.profile.name ?? '' })),
        departments: i.departments,
        label: labels.get(i.inviteId) ?? null
      }))
    }
  }
}
