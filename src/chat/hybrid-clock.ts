/**
 * A hybrid logical clock: wall-clock milliseconds times 1,000 plus a counter. It never runs
 * backwards and jumps past every timestamp it observes, so a reply always sorts after the
 * message it answers even when the two machines' clocks disagree.
 */
export interface HybridClock {
  /** A new timestamp, greater than every one issued or observed before. */
  now(): number
  /** Advances past a timestamp seen on a message from a peer. */
  observe(remote: number): void
}

const TICKS_PER_MS = 1000

/** Largest amount a peer's clock may run ahead of ours before we stop following it. */
const MAX_DRIFT_MS = 24 * 60 * 60 * 1000

export function createHybridClock(wallMs: () => number = Date.now): HybridClock {
  let last = 0
  return {
    now: () => {
      last = Math.max(last + 1, wallMs() * TICKS_PER_MS)
      return last
    },
    observe: (remote) => {
      // A peer with a clock a year ahead must not drag every later message with it.
      if (remote > (wallMs() + MAX_DRIFT_MS) * TICKS_PER_MS) return
      last = Math.max(last, remote)
    }
  }
}

/** The first timestamp of a wall-clock millisecond (history written below the API: seeding, imports). */
export function hlcAt(ms: number): number {
  return ms * TICKS_PER_MS
}

export function hlcToMs(hlc: number): number {
  return Math.floor(hlc / TICKS_PER_MS)
}

/** Sort key of a message: clock, then author, then seq, fixed width so byte order is time order. */
export function orderKey(hlc: number, author: string, seq: number): string {
  return `${hlc.toString().padStart(17, '0')}:${author}:${seq.toString().padStart(10, '0')}`
}
