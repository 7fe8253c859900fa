import { readFile } from 'node:fs/promises'
import { renderUnicodeCompact } from 'uqr'
import { EnclaveError } from '../errors.js'
import { parseInviteId } from '../ids.js'
import { UsageError } from './cli-error.js'
import { departmentFinder } from '../org/department-names.js'
import { problemText } from '../org/invite-csv.js'
import type { ApiClient } from '../api/api-client.js'
import type { DepartmentId, InviteView, WorkspaceId } from '../api/contract.js'

export interface InviteCommandOptions {
  role: string | undefined
  expiresInMs: number | undefined
  approval: boolean
  uses: string | undefined
  departments: string[]
  label: string | undefined
  /** A CSV file of people to invite, one personal link each. */
  csv: string | undefined
  qr: boolean
}

/** Department ids for names or paths (`Sales/East`) given on the command line, found as a CSV's are. */
async function departmentIds(api: ApiClient, workspaceId: WorkspaceId, wanted: string[]): Promise<DepartmentId[]> {
  if (wanted.length === 0) return []
  const find = departmentFinder(await api.call('workspaces.departments', { workspaceId }))
  return wanted.map((name) => {
    const found = find(name)
    if ('problem' in found) throw new UsageError(problemText({ code: found.problem, value: name }), 'invite')
    return found.id
  })
}

/** A CSV field, quoted when it must be. */
const field = (text: string): string => (/[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)

/**
 * `enclave invite`: one link (for one person, or `--uses N` people), or with `--csv FILE` a
 * personal link per row, printed as CSV (line, name, email, link) for a mail merge.
 */
export async function runInviteCommand(api: ApiClient, workspaceId: WorkspaceId, opts: InviteCommandOptions, out: (line: string) => void, asJson: boolean): Promise<void> {
  const expires = opts.expiresInMs === undefined ? {} : { expiresInMs: opts.expiresInMs }
  if (opts.csv !== undefined) {
    if (opts.role !== undefined || opts.uses !== undefined || opts.departments.length > 0 || opts.label !== undefined || opts.qr) throw new UsageError('with --csv, each row gives the role and department; only --expires applies', 'invite')
    const csv = await readFile(opts.csv, 'utf8').catch(() => { throw new UsageError(`cannot read ${opts.csv ?? ''}`, 'invite') })
    const result = await api.call('workspaces.inviteCsv', { workspaceId, csv, ...expires })
    if (asJson) { out(JSON.stringify(result, null, 2)); if (result.ok) return }
    if (!result.ok) {
      if (!asJson) for (const e of result.errors) process.stderr.write(`${opts.csv}:${e.line}: ${e.message}\n`)
      throw new EnclaveError('bad-request', `${result.errors.length} ${result.errors.length === 1 ? 'row needs' : 'rows need'} fixing; no invite was made`)
    }
    out('line,name,email,link')
    for (const i of result.invites) out([String(i.line), field(i.name), field(i.email), i.link].join(','))
    return
  }
  const role = opts.role ?? 'member'
  if (role !== 'member' && role !== 'guest' && role !== 'admin') throw new UsageError('--role must be member, guest or admin', 'invite')
  const uses = opts.uses === undefined ? undefined : Number(opts.uses)
  if (uses !== undefined && (!Number.isInteger(uses) || uses < 1)) throw new UsageError('--uses takes a whole number of people, 1 or more', 'invite')
  const invite: InviteView = await api.call('workspaces.invite', {
    workspaceId,
    role,
    ...expires,
    approval: opts.approval,
    ...(uses === undefined ? {} : { uses }),
    departments: await departmentIds(api, workspaceId, opts.departments),
    ...(opts.label === undefined ? {} : { label: opts.label })
  })
  if (asJson) { out(JSON.stringify(invite, null, 2)); return }
  out(invite.text)
  if (invite.maxUses > 1) out(`Up to ${invite.maxUses} people can join with it.`)
  if (opts.qr) out(renderUnicodeCompact(invite.link, { ecc: 'L', border: 2 }))
}

/**
 * `enclave invites [revoke INVITE_ID]`: the workspace's invites, newest expiry first, with whom
 * each is for and who joined with it; or one revoked.
 */
export async function runInvitesCommand(api: ApiClient, workspaceId: WorkspaceId, positionals: string[], out: (line: string) => void, asJson: boolean): Promise<void> {
  const [sub, inviteId] = positionals
  if (sub !== undefined && sub !== 'revoke') throw new UsageError(`unknown invites command '${sub}'`, 'invites')
  if (sub === 'revoke' && inviteId === undefined) throw new UsageError('which invite? enclave invites revoke INVITE_ID', 'invites')
  const list = sub === 'revoke' ? await api.call('workspaces.revokeInvite', { workspaceId, inviteId: parseInviteId(inviteId ?? '') }) : await api.call('workspaces.invites', { workspaceId })
  if (asJson) { out(JSON.stringify(list, null, 2)); return }
  if (list.length === 0) { out('no invites'); return }
  const names = new Map((await api.call('workspaces.departments', { workspaceId })).map((d) => [d.id as string, d.name]))
  const now = Date.now()
  for (const i of [...list].sort((a, b) => b.expiresAt - a.expiresAt)) {
    const status = i.redeemed ? 'used' : i.revoked ? 'revoked' : i.expiresAt < now ? 'expired' : 'open'
    const departments = i.departments.map((id) => names.get(id)).filter((n) => n !== undefined)
    const who = i.joined.length === 0 ? '' : ` (${i.joined.map((j) => j.name === '' ? 'a former member' : j.name).join(', ')})`
    out([
      i.inviteId,
      i.label ?? '—',
      `${i.role}${departments.length > 0 ? ` in ${departments.join(', ')}` : ''}${i.approval ? ', needs approval' : ''}`,
      `${i.joined.length} of ${i.maxUses} joined${who}`,
      `${status}${status === 'open' ? ` until ${new Date(i.expiresAt).toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}`
    ].join('  '))
  }
}
