/**
 * The API's views of invites: part of the contract (which re-exports them), kept in a file of
 * their own to keep contract.ts readable.
 */
import type { DepartmentId, InviteId, Role, UserId, WorkspaceId } from './api-ids.js'

export interface InviteSummary {
  inviteId: InviteId
  role: Role
  expiresAt: number
  approval: boolean
  /** Every use is taken. */
  redeemed: boolean
  revoked: boolean
  /** How many may join with it. */
  maxUses: number
  /** Who joined with it, oldest first (a member since removed is listed by id with an empty name). */
  joined: Array<{ userId: UserId; name: string }>
  departments: DepartmentId[]
  /** Who it is for, when it was made on this device with a label (a CSV row's name and email). */
  label: string | null
}

export interface InviteView {
  inviteId: InviteId
  link: string
  /** The link with a sentence around it and the fingerprint, for pasting into mail or chat. */
  text: string
  role: Role
  expiresAt: number
  approval: boolean
  maxUses: number
  departments: DepartmentId[]
  label: string | null
}

/** A CSV bulk invite: a link per row, or (nothing made) what is wrong with which rows. */
export type CsvInviteResult =
  | { ok: true; invites: Array<InviteView & { line: number; name: string; email: string }> }
  | { ok: false; errors: CsvRowError[] }

/** What is wrong with a CSV row (or the whole file), coded for the UI to say in its language; `value` is the text at fault. */
export type CsvProblemCode = 'not-csv' | 'empty' | 'too-many' | 'name-missing' | 'name-too-long' | 'bad-email' | 'duplicate-email' | 'unknown-department' | 'ambiguous-department' | 'bad-role' | 'role-not-allowed'
export interface CsvProblem { code: CsvProblemCode; value?: string }
export interface CsvRowError {
  line: number
  /** Every problem of the row, in English (the CLI prints it). */
  message: string
  problems: CsvProblem[]
}

/** What an invite says of its workspace, read before joining: the fingerprint is to compare with the inviter's. */
export interface InvitePreview {
  workspaceId: WorkspaceId
  name: string
  fingerprint: string
  /** This device is in that workspace already (joining again is refused with `already-member`). */
  alreadyIn: boolean
}
