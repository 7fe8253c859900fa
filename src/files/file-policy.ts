import { EnclaveError } from '../errors.js'
import type { FilePolicy } from '../identity/membership-state.js'

export type { FilePolicy }

/*
 * A workspace's rules for files (membership-state.ts `FilePolicy`), checked by the sender before
 * any byte is read, and again by every receiver before it fetches, so a member whose device
 * skips the check still cannot get a forbidden file onto colleagues' devices.
 */

/** The rules in force in one conversation: those of its workspace (every shared workspace, for a DM), and whether a guest is in it. */
export interface ConversationFilePolicy extends FilePolicy {
  guestPresent: boolean
}

/** Several workspaces' rules at once (a DM between colleagues of two workspaces): each rule at its strictest. */
export function strictest(policies: readonly FilePolicy[]): FilePolicy {
  const caps = policies.map((p) => p.maxBytes).filter((m): m is number => m !== null)
  return {
    maxBytes: caps.length === 0 ? null : Math.min(...caps),
    blocked: [...new Set(policies.flatMap((p) => p.blocked))].sort(),
    guests: policies.every((p) => p.guests)
  }
}

/**
 * A file's extension as the policy lists them: lower case, no dot; '' for none. Trailing dots
 * and spaces go first, as Windows drops them when it saves (`setup.exe.` is an .exe there).
 */
export function extensionOf(fileName: string): string {
  const name = fileName.replace(/[.\s]+$/u, '')
  const dot = name.lastIndexOf('.')
  return dot <= 0 || dot === name.length - 1 ? '' : name.slice(dot + 1).toLowerCase()
}

/** Throws `blocked-by-policy` when the rules forbid this file in this conversation. */
export function checkFilePolicy(policy: ConversationFilePolicy, name: string, size: number): void {
  if (policy.guestPresent && !policy.guests) throw new EnclaveError('blocked-by-policy', 'your workspace does not allow files in conversations with guests')
  if (policy.maxBytes !== null && size > policy.maxBytes) throw new EnclaveError('blocked-by-policy', `your workspace allows files up to ${policy.maxBytes} bytes`)
  const ext = extensionOf(name)
  if (ext !== '' && policy.blocked.includes(ext)) throw new EnclaveError('blocked-by-policy', `your workspace does not allow .${ext} files`)
}
