import type { QuietHours } from '../../src/api/contract.js'

/** Is `at` (local time) within the quiet hours? They may wrap past midnight (22:00 to 07:00). */
export function inQuietHours(quiet: QuietHours, at: Date): boolean {
  const minute = at.getHours() * 60 + at.getMinutes()
  return quiet.from < quiet.to ? minute >= quiet.from && minute < quiet.to : minute >= quiet.from || minute < quiet.to
}
