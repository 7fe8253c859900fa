const HOUR = 60 * 60 * 1000

/** How long an invite may stay open, as the invite dialogs offer it. */
export const INVITE_EXPIRIES = [
  { key: 'admin.expiry.1h', ms: HOUR },
  { key: 'admin.expiry.1d', ms: 24 * HOUR },
  { key: 'admin.expiry.2d', ms: 48 * HOUR },
  { key: 'admin.expiry.7d', ms: 7 * 24 * HOUR }
] as const

export const DEFAULT_INVITE_EXPIRY = 48 * HOUR
