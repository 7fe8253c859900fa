import type { ClassicLevel } from 'classic-level'

export interface MigrationContext {
  db: ClassicLevel<string, Uint8Array>
  /** Rewrites values stored before sealing existed under the store's codec. */
  sealPlainValues(): Promise<number>
  /** Moves every entry of schema 3 to its key on disk under the key layout (hide-keys.ts). */
  hideKeys(): Promise<number>
  /** Rewrites the files so deleted entries leave them. */
  compact(): Promise<void>
}

export interface Migration {
  /** The schema version this migration produces; migrations run in ascending order. */
  version: number
  description: string
  up(ctx: MigrationContext): Promise<void>
}

/**
 * The schema's history. Append only: a released migration never changes, because stores
 * in the field have already run it.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'initial layout: meta, peers, conversations, messages, message index, outbox',
    up: async () => { /* sublevels need no creation; version 1 only records the layout */ }
  },
  {
    version: 2,
    description: 'workspaces: workspace records (with keys this device holds) and membership ops',
    up: async () => { /* new sublevels only */ }
  },
  {
    version: 3,
    description: 'seal every value at rest under the store data key',
    up: async (ctx) => { await ctx.sealPlainValues() }
  },
  {
    version: 4,
    description: 'keys name no person, conversation or time: HMACs and counters instead (key-layout.ts)',
    up: async (ctx) => { if (await ctx.hideKeys() > 0) await ctx.compact() }
  }
]

/** From this schema on, keys on disk follow key-layout.ts. */
export const HIDDEN_KEYS_VERSION = 4

export const CURRENT_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0)
