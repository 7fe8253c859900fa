import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseDepartmentId } from '../ids.js'
import { parseInviteCsv } from './invite-csv.js'
import type { DepartmentRecord } from '../identity/membership-state.js'

const dep = (id: string, name: string, parentId: string | null = null): DepartmentRecord => ({ id: parseDepartmentId(id), parentId: parentId === null ? null : parseDepartmentId(parentId), name, order: 0 })
const departments = [dep('dep-sales', 'Sales'), dep('dep-east', 'East', 'dep-sales'), dep('dep-operations', 'Operations'), dep('dep-operations-east', 'East', 'dep-operations'), dep('dep-research', '研发部')]
const ownerRoles = ['member', 'guest', 'admin'] as const
const adminRoles = ['member', 'guest'] as const

test('a CSV with a header in any column order gives one invitee per row, with departments by name or path and roles in either language', () => {
  const csv = '\uFEFFEmail,Name,Department,Role\r\nli@acme.cn,李雷,研发部,管理员\r\n"bob@acme.com","Bob ""the builder"" Smith","Sales/East; Operations",guest\r\n\r\ncarol@acme.com,Carol,,\r\n'
  const { invitees, errors } = parseInviteCsv(csv, departments, ownerRoles)
  assert.deepEqual(errors, [])
  assert.deepEqual(invitees.map((i) => [i.line, i.name, i.email, i.departments, i.role]), [
    [2, '李雷', 'li@acme.cn', ['dep-research'], 'admin'],
    [3, 'Bob "the builder" Smith', 'bob@acme.com', ['dep-east', 'dep-operations'], 'guest'],
    [5, 'Carol', 'carol@acme.com', [], 'member']
  ])
})

test('without a header the columns are name, email, department, role; a Chinese header works too', () => {
  assert.deepEqual(parseInviteCsv('Dan,dan@acme.com,Sales\n', departments, adminRoles).invitees.map((i) => [i.name, i.departments]), [['Dan', ['dep-sales']]])
  assert.deepEqual(parseInviteCsv('姓名,邮箱,部门\n韩梅梅,han@acme.cn,研发部\n', departments, adminRoles).invitees.map((i) => [i.line, i.name, i.departments]), [[2, '韩梅梅', ['dep-research']]])
})

test('every bad row is reported with its line and every reason, and no invitee is returned for it', () => {
  const csv = [
    'name,email,department,role',
    ',nobody@acme.com,,', // 2: no name
    'Eve,not-an-email,,', // 3
    'Frank,frank@acme.com,Marketing,', // 4: no such department
    'Gina,gina@acme.com,East,', // 5: two departments are called East
    'Hal,hal@acme.com,,admin', // 6: an admin may not invite admins
    'Ivy,FRANK@acme.com,,boss', // 7: the same email as line 4, and no such role
    'Jo,jo@acme.com,Sales/East,' // 8: good
  ].join('\n')
  const { invitees, errors } = parseInviteCsv(csv, departments, adminRoles)
  assert.deepEqual(errors.map((e) => e.line), [2, 3, 4, 5, 6, 7])
  const reason = (line: number): string => errors.find((e) => e.line === line)?.message ?? ''
  assert.match(reason(2), /name is missing/)
  assert.match(reason(3), /not-an-email.*not an email/)
  assert.match(reason(4), /no department "Marketing"/)
  assert.match(reason(5), /several departments are called "East"; write its path/)
  assert.deepEqual(errors.find((e) => e.line === 5)?.problems, [{ code: 'ambiguous-department', value: 'East' }])
  assert.match(reason(6), /only the owner invites admins/)
  assert.match(reason(7), /already on line 4/)
  assert.deepEqual(errors.find((e) => e.line === 7)?.problems.map((p) => p.code), ['duplicate-email', 'bad-role'])
  assert.match(reason(7), /"boss" is not a role/)
  assert.deepEqual(invitees.map((i) => i.line), [8])
})

test('a file that is not CSV, is empty or is too long is refused as a whole', () => {
  assert.match(parseInviteCsv('name\n"unclosed,quote\n', departments, adminRoles).errors[0]?.message ?? '', /not valid CSV/)
  assert.match(parseInviteCsv('name,email\n', departments, adminRoles).errors[0]?.message ?? '', /no one to invite/)
  const many = Array.from({ length: 1001 }, (_, i) => `P${i},p${i}@acme.com`).join('\n')
  assert.match(parseInviteCsv(many, departments, adminRoles).errors[0]?.message ?? '', /at most 1000 people/)
})
