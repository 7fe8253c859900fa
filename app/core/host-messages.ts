import type { ApiError, PeerIdString } from '../../src/api/contract.js'

/**
 * Messages between the main process (core host) and the core's utility process, on Electron's
 * parentPort. Both ends are ours and ship together, so these are not versioned.
 *
 * - `init` comes first and once: where the store lives and whether to use mDNS.
 * - `connect` carries one MessagePortMain (in the message's ports) to serve the API on; the core
 *   answers `connected` with the same `clientId` once the API listens on it.
 * - `stop` asks for a clean shutdown (closes LevelDB); the process exits when done.
 */
export type HostMessage =
  | { type: 'init'; dataDir: string; mdns: boolean }
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
  const message = raw as { type?: unknown; dataDir?: unknown; mdns?: unknown; clientId?: unknown }
  switch (message.type) {
    case 'init': return typeof message.dataDir === 'string' && typeof message.mdns === 'boolean'
    case 'connect': return typeof message.clientId === 'number'
    case 'stop': return true
    default: return false
  }
}
