import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { enclave } from '../helpers/cli.js'
import { makeDataDir, removeDataDir, startAll, startNode, type NodeProcess } from '../helpers/node-process.js'
import { waitFor } from '../helpers/wait.js'
import type { DepartmentId, InviteSummary, WorkspaceId } from '../../src/api/contract.js'

let owner: NodeProcess
let bob: NodeProcess
let carol: NodeProcess
let dave: NodeProcess
let workspaceId: WorkspaceId
let sales: DepartmentId
/** The joiner that lost the race for the team invite's last use. */
let loser: NodeProcess

before(async () => {
  ;[owner, bob, carol, dave] = await startAll([startNode(await makeDataDir('owner')), startNode(await makeDataDir('bob')), startNode(await makeDataDir('carol')), startNode(await makeDataDir('dave'))])
  await Promise.all([['Olivia', owner], ['Bob', bob], ['Carol', carol], ['Dave', dave]].map(([name, n]) => (n as NodeProcess).api.call('profile.set', { displayName: name as string })))
  workspaceId = (await owner.api.call('workspaces.create', { name: 'Acme' })).id
  const departments = await owner.api.call('workspaces.saveDepartment', { workspaceId, parentId: null, name: 'Sales' })
  sales = departments[0]!.id
})

after(async () => {
  await Promise.all([owner, bob, carol, dave].map((n) => n.stop()))
  await Promise.all([owner, bob, carol, dave].map((n) => removeDataDir(n.dataDir)))
})

const errorCode = (err: unknown): string | undefined => (err as { code?: string }).code
const invites = (): Promise<InviteSummary[]> => owner.api.call('workspaces.invites', { workspaceId })

test('a team invite admits as many people as it says, into its department; two joiners racing for the last use: one is in, the other is told', async () => {
  const made = await enclave('invite', '--uses', '2', '--department', 'Sales', '--for', 'Sales team', '--json', '--data', owner.dataDir)
  assert.equal(made.code, 0, made.stderr)
  const { link, maxUses } = JSON.parse(made.stdout) as { link: string; maxUses: number }
  assert.equal(maxUses, 2)

  await bob.api.call('workspaces.join', { link })
  const race = await Promise.allSettled([carol.api.call('workspaces.join', { link }), dave.api.call('workspaces.join', { link })])
  const won = race.flatMap((r, i) => (r.status === 'fulfilled' ? [[carol, dave][i]!] : []))
  const lost = race.flatMap((r): unknown[] => (r.status === 'rejected' ? [r.reason] : []))
  assert.equal(won.length, 1, 'exactly one of the two joins the last use')
  assert.equal(errorCode(lost[0]), 'invite-invalid')
  assert.match((lost[0] as Error).message, /already used/)
  const winner = won[0]!
  loser = winner === carol ? dave : carol

  // Placed in Sales as members, on the owner's device and on the winner's own.
  for (const node of [owner, winner]) {
    const members = await waitFor('both newcomers in the log', async () => {
      const list = await node.api.call('workspaces.members', { workspaceId })
      return list.length === 3 ? list : undefined
    })
    for (const m of members.filter((x) => x.role !== 'owner')) assert.deepEqual([m.role, m.departments], ['member', [sales]], m.name)
  }
  const summary = (await invites()).find((i) => i.label === 'Sales team')
  assert.ok(summary !== undefined)
  assert.deepEqual([summary.maxUses, summary.redeemed, summary.departments], [2, true, [sales]])
  assert.deepEqual(summary.joined.map((j) => j.name), ['Bob', winner === carol ? 'Carol' : 'Dave'])
  // The one told no has not joined anything.
  assert.deepEqual(await loser.api.call('workspaces.list', {}), [])
  // The CLI says the same to an admin at a terminal.
  const listed = await enclave('invites', '--data', owner.dataDir)
  assert.equal(listed.code, 0, listed.stderr)
  assert.match(listed.stdout, new RegExp(`Sales team  member in Sales  2 of 2 joined \\(Bob, ${winner === carol ? 'Carol' : 'Dave'}\\)  used`))
})

test('a CSV bulk invite with bad rows reports each one and makes nothing; fixed, each row gets a personal link that places its person', async () => {
  const dir = await makeDataDir('csv')
  const before = (await invites()).length
  const bad = join(dir, 'bad.csv')
  await writeFile(bad, 'name,email,department,role\nZoe,zoe@acme.com,Sales,guest\n,nobody@acme.com,,\nYuri,yuri@acme,Marketing,\n')
  const refused = await enclave('invite', '--csv', bad, '--data', owner.dataDir)
  assert.equal(refused.code, 1)
  assert.match(refused.stderr, /bad\.csv:3: the name is missing/)
  assert.match(refused.stderr, /bad\.csv:4: "yuri@acme" is not an email address; there is no department "Marketing"/)
  assert.match(refused.stderr, /2 rows need fixing; no invite was made \(bad-request\)/)
  assert.equal((await invites()).length, before)

  const good = join(dir, 'good.csv')
  const loserName = loser === carol ? 'Carol' : 'Dave'
  await writeFile(good, `name,email,department,role\n${loserName},${loserName.toLowerCase()}@acme.com,Sales,guest\nZoe,zoe@acme.com,,\n`)
  const made = await enclave('invite', '--csv', good, '--data', owner.dataDir)
  assert.equal(made.code, 0, made.stderr)
  const rows = made.stdout.trim().split('\n').map((line) => line.split(','))
  assert.deepEqual(rows.map((r) => r.slice(0, 3)), [['line', 'name', 'email'], ['2', loserName, `${loserName.toLowerCase()}@acme.com`], ['3', 'Zoe', 'zoe@acme.com']])
  const personal = rows[1]?.[3] ?? ''
  assert.match(personal, /^enclave:\/\/join\//)

  await loser.api.call('workspaces.join', { link: personal })
  const me = (await owner.api.call('workspaces.members', { workspaceId })).find((m) => m.name === loserName)
  assert.deepEqual([me?.role, me?.departments], ['guest', [sales]])
  const summaries = await invites()
  assert.deepEqual(summaries.find((i) => i.label === `${loserName} <${loserName.toLowerCase()}@acme.com>`)?.joined.map((j) => j.name), [loserName])
  const zoe = summaries.find((i) => i.label === 'Zoe <zoe@acme.com>')
  assert.deepEqual(zoe?.joined, [])
  // An invite not needed after all is revoked from the CLI.
  const revoked = await enclave('invites', 'revoke', zoe.inviteId, '--json', '--data', owner.dataDir)
  assert.equal(revoked.code, 0, revoked.stderr)
  assert.equal((JSON.parse(revoked.stdout) as InviteSummary[]).find((i) => i.inviteId === zoe.inviteId)?.revoked, true)
  await removeDataDir(dir)
})
