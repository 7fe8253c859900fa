import { CsvError, parse } from 'csv-parse/sync'
import { MAX_DISPLAY_NAME, MAX_INVITE_CSV_ROWS, MAX_PROFILE_EMAIL, textLength } from '../limits.js'
import { departmentFinder, fold, type NamedDepartment } from './department-names.js'
import type { Role } from '../identity/membership-op.js'
import type { CsvProblem, CsvProblemCode, CsvRowError, DepartmentId } from '../api/contract.js'

/** One person to invite, as a good row of the CSV says. */
export interface CsvInvitee {
  line: number
  name: string
  email: string
  departments: DepartmentId[]
  role: Role
}

const ENGLISH: Record<CsvProblemCode, (value: string) => string> = {
  'not-csv': (v) => `the file is not valid CSV (${v})`,
  empty: () => 'the file has no one to invite',
  'too-many': (v) => `at most ${MAX_INVITE_CSV_ROWS} people per file; this one has ${v}`,
  'name-missing': () => 'the name is missing',
  'name-too-long': () => `the name is longer than ${MAX_DISPLAY_NAME} characters`,
  'bad-email': (v) => `"${v}" is not an email address`,
  'duplicate-email': (v) => `the email is already on line ${v}`,
  'unknown-department': (v) => `there is no department "${v}"`,
  'ambiguous-department': (v) => `several departments are called "${v}"; write its path, e.g. Parent/${v}`,
  'bad-role': (v) => `"${v}" is not a role (member, guest or admin)`,
  'role-not-allowed': (v) => `only the owner invites ${v}s`
}

/** A problem as the CLI says it. */
export function problemText(problem: CsvProblem): string {
  return ENGLISH[problem.code](problem.value ?? '')
}

function rowError(line: number, problems: CsvProblem[]): CsvRowError {
  return { line, problems, message: problems.map(problemText).join('; ') }
}

/** Column names a header row may use, in English and Chinese (compared folded). */
const HEADERS: Record<string, 'name' | 'email' | 'department' | 'role'> = {
  name: 'name', 姓名: 'name', 名字: 'name',
  email: 'email', 'e-mail': 'email', mail: 'email', 邮箱: 'email', 电子邮件: 'email',
  department: 'department', departments: 'department', dept: 'department', 部门: 'department',
  role: 'role', 角色: 'role'
}
const ROLE_NAMES: Record<string, Role> = { member: 'member', 成员: 'member', guest: 'guest', 访客: 'guest', admin: 'admin', 管理员: 'admin' }
/** Without a header row, the columns are in this order. */
const DEFAULT_COLUMNS = ['name', 'email', 'department', 'role'] as const
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/


/**
 * Reads a bulk-invite CSV (name, email, department, role; a header row is optional and may order
 * the columns). Several departments are separated by `;`, and one is named by its name, or by
 * its path (`Sales/East`) when names repeat. Every bad row is reported with its line, so an
 * admin fixes the file once instead of once per row.
 */
export function parseInviteCsv(csv: string, departments: Iterable<NamedDepartment>, rolesAllowed: readonly Role[]): { invitees: CsvInvitee[]; errors: CsvRowError[] } {
  let records: Array<{ record: string[]; info: { lines: number } }>
  try {
    records = parse(csv, { bom: true, info: true, relax_column_count: true, skip_empty_lines: true, trim: true }) as unknown as Array<{ record: string[]; info: { lines: number } }>
  } catch (err) {
    const line = err instanceof CsvError && typeof err.lines === 'number' ? err.lines : 1
    return { invitees: [], errors: [rowError(line, [{ code: 'not-csv', value: err instanceof Error ? err.message : String(err) }])] }
  }
  const first = records[0]?.record ?? []
  const header = first.length > 0 && first.every((cell) => cell === '' || HEADERS[fold(cell)] !== undefined) && first.some((cell) => HEADERS[fold(cell)] === 'name')
  const columns = header ? first.map((cell) => HEADERS[fold(cell)]) : DEFAULT_COLUMNS
  const rows = header ? records.slice(1) : records
  if (rows.length === 0) return { invitees: [], errors: [rowError(1, [{ code: 'empty' }])] }
  if (rows.length > MAX_INVITE_CSV_ROWS) return { invitees: [], errors: [rowError(1, [{ code: 'too-many', value: String(rows.length) }])] }

  const findDepartment = departmentFinder(departments)
  const invitees: CsvInvitee[] = []
  const errors: CsvRowError[] = []
  const emails = new Map<string, number>()
  for (const { record, info } of rows) {
    const line = info.lines
    const cell = (name: (typeof DEFAULT_COLUMNS)[number]): string => record[columns.indexOf(name)] ?? ''
    const problems: CsvProblem[] = []
    const name = cell('name').replace(/\s+/g, ' ')
    if (name === '') problems.push({ code: 'name-missing' })
    else if (textLength(name) > MAX_DISPLAY_NAME) problems.push({ code: 'name-too-long', value: name })
    const email = cell('email')
    if (email !== '' && (!EMAIL.test(email) || email.length > MAX_PROFILE_EMAIL)) problems.push({ code: 'bad-email', value: email })
    const seen = emails.get(fold(email))
    if (email !== '' && seen !== undefined) problems.push({ code: 'duplicate-email', value: String(seen) })
    if (email !== '' && seen === undefined) emails.set(fold(email), line)
    const found: DepartmentId[] = []
    for (const wanted of cell('department').split(/[;；]/).map((d) => d.trim()).filter((d) => d !== '')) {
      const match = findDepartment(wanted)
      if ('id' in match) found.push(match.id)
      else problems.push({ code: match.problem, value: wanted })
    }
    const roleText = fold(cell('role'))
    const role = roleText === '' ? 'member' : ROLE_NAMES[roleText]
    if (role === undefined) problems.push({ code: 'bad-role', value: cell('role') })
    else if (!rolesAllowed.includes(role)) problems.push({ code: 'role-not-allowed', value: role })
    if (problems.length > 0 || role === undefined) errors.push(rowError(line, problems))
    else invitees.push({ line, name, email, departments: [...new Set(found)], role })
  }
  return { invitees, errors }
}
