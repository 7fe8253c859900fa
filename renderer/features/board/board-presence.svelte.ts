import type { Point } from './board-geometry'
import type { Awareness } from 'y-protocols/awareness'

/** Cursor positions go out at most this often (20 per second); the last one always goes. */
const PUBLISH_EVERY_MS = 50
const MAX_NAME = 60

/** Another person's pointer on this board, in board coordinates. */
export interface RemoteCursor {
  clientId: number
  name: string
  color: string
  x: number
  y: number
}

/**
 * Live cursors through the doc's awareness: this window publishes its pointer as the `cursor`
 * field (board coordinates, or null when the pointer leaves the board), and lists everyone
 * else's. Peers' states are untrusted input: anything malformed is not shown.
 */
export class BoardPresence {
  cursors = $state.raw<readonly RemoteCursor[]>([])
  private pending: Point | null = null
  private timer: ReturnType<typeof setTimeout> | null = null
  private lastSent = 0
  private readonly awareness: Awareness
  private readonly onChange = (): void => { this.cursors = readCursors(this.awareness) }

  constructor (awareness: Awareness) {
    this.awareness = awareness
    awareness.on('change', this.onChange)
    this.onChange()
  }

  /** This user's display name, as the doc session announced it. */
  get name(): string {
    const user = (this.awareness.getLocalState() as { user?: { name?: unknown } } | null)?.user
    return typeof user?.name === 'string' ? user.name.slice(0, MAX_NAME) : ''
  }

  publish(p: Point | null): void {
    this.pending = p
    if (this.timer !== null) return
    const wait = PUBLISH_EVERY_MS - (Date.now() - this.lastSent)
    if (wait <= 0) this.flush()
    else this.timer = setTimeout(() => { this.flush() }, wait)
  }

  destroy(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.awareness.off('change', this.onChange)
  }

  private flush(): void {
    this.timer = null
    this.lastSent = Date.now()
    const p = this.pending
    this.awareness.setLocalStateField('cursor', p === null ? null : { x: Math.round(p.x * 10) / 10, y: Math.round(p.y * 10) / 10 })
  }
}

function readCursors(awareness: Awareness): RemoteCursor[] {
  const cursors: RemoteCursor[] = []
  for (const [clientId, state] of awareness.getStates()) {
    if (clientId === awareness.clientID) continue
    const { user, cursor } = state as { user?: { name?: unknown; color?: unknown }; cursor?: { x?: unknown; y?: unknown } | null }
    const x = cursor?.x, y = cursor?.y
    if (typeof x !== 'number' || typeof y !== 'number' || !Number.isFinite(x) || !Number.isFinite(y)) continue
    const color = typeof user?.color === 'string' && /^#[0-9a-f]{6}$/i.test(user.color) ? user.color : '#868e96'
    const name = typeof user?.name === 'string' ? user.name.slice(0, MAX_NAME) : '?'
    cursors.push({ clientId, name, color, x, y })
  }
  return cursors
}
