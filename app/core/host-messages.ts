import type { ApiError, PeerIdString } from '../../src/api/contract.js'
import type { CoreInit } from '../../src/index.js'

/** How the core gets its store key (main decides: app/main/desktop-store-key.ts). */
export type StoreKeyInit = NonNullable<CoreInit['storeKey']>

/**
 * Messages between the main process (core host) and the core's utility process, on Electron's
 * parentPort. Both ends are ours and ship together, so these are not versioned.
 *
 * - `init` comes first and once: where the store lives, whether to use mDNS, and the store key
 *   (a data key crosses only this channel, never the disk in the clear; both ends zero their
 *   copy once it is handed on). Without `storeKey`, the core's default applies.
 * - `connect` carries one MessagePortMain (in the message's ports) to serve the API on; the core
 *   answers `connected` with the same `clientId` once the API listens on it.
 * - `stop` asks for a clean shutdown (closes LevelDB); the process exits when done.
 */
export type HostMessage =
  | { type: 'init'; dataDir: string; mdns: boolean; storeKey?: StoreKeyInit }
  | { type: 'connect'; clientId: number }
  | { type: 'stop' }

export type CoreMessage =
  | { type: 'ready'; peerId: PeerIdString }
  | { type: 'failed'; error: ApiError }
  | { type: 'connected'; clientId: number }

export function isCoreMessage(raw: unknown): raw is CoreMessage {
  if (typeof raw !== 'object' || raw === null) return false
  const type = (raw as { type?: unknown }).type
  return type === 'ready' || type === 'failed' || type === 'connected'
}

export function isHostMessage(raw: unknown): raw is HostMessage {
  if (typeof raw !== 'object' || raw === null) return false
  const message = raw as { type?: unknown; dataDir?: unknown; mdns?: unknown; storeKey?: unknown; clientId?: unknown }
  switch (message.type) {
    case 'init': return typeof message.dataDir === 'string' && typeof message.mdns === 'boolean' && (message.storeKey === undefined || isStoreKeyInit(message.storeKey))
    case 'connect': return typeof message.clientId === 'number'
    case 'stop': return true
    default: return false
  }
}

function isStoreKeyInit(raw: unknown): raw is StoreKeyInit {
  if (typeof raw !== 'object' || raw === null) return false
  const key = raw as { kind?: unknown; key?: unknown; passphrase?: unknown; path?: unknown }
  switch (key.kind) {
    case 'data-key': return key.key instanceof Uint8Array && key.key.byteLength === 32
    case 'passphrase': return typeof key.passphrase === 'string'
    case 'key-file': return typeof key.path === 'string'
    default: return false
  }
}
