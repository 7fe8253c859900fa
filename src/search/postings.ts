import { EnclaveError } from '../errors.js'

/**
 * Posting lists: which documents of one segment hold a token. At rest a list is its ascending
 * offsets within the segment as LEB128 varints of the gaps, so a common token's list in a full
 * segment takes about a byte a document. In memory a list is a sorted Uint32Array of offsets.
 */

export function encodePostings(sorted: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(sorted.length * 3 + 8)
  let at = 0
  let prev = -1
  for (let i = 0; i < sorted.length; i++) {
    const value = sorted[i] ?? 0
    let gap = value - prev - 1
    prev = value
    while (gap >= 0x80) { out[at++] = (gap & 0x7F) | 0x80; gap >>>= 7 }
    out[at++] = gap
  }
  return out.slice(0, at)
}

export function decodePostings(bytes: Uint8Array): Uint32Array {
  const out = new Uint32Array(bytes.byteLength)
  let n = 0
  let prev = -1
  let at = 0
  while (at < bytes.byteLength) {
    let gap = 0
    let shift = 0
    for (;;) {
      const b = bytes[at++]
      if (b === undefined || shift > 21) throw new EnclaveError('store-error', 'a posting list is cut short')
      gap |= (b & 0x7F) << shift
      if (b < 0x80) break
      shift += 7
    }
    prev = prev + gap + 1
    out[n++] = prev
  }
  return out.subarray(0, n)
}

/** The sorted union of sorted lists, without repeats. */
export function unionPostings(lists: readonly Uint32Array[]): Uint32Array {
  if (lists.length === 1) return lists[0] ?? new Uint32Array(0)
  const all = new Uint32Array(lists.reduce((n, l) => n + l.length, 0))
  let at = 0
  for (const l of lists) { all.set(l, at); at += l.length }
  all.sort()
  let n = 0
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[n++] = all[i] ?? 0
  return all.subarray(0, n)
}

/** The sorted intersection of sorted lists: the shortest walked, the others searched by galloping. */
export function intersectPostings(lists: readonly Uint32Array[]): Uint32Array {
  if (lists.length === 0) return new Uint32Array(0)
  const sorted = [...lists].sort((a, b) => a.length - b.length)
  const [first = new Uint32Array(0), ...rest] = sorted
  const out = new Uint32Array(first.length)
  const cursors = rest.map(() => 0)
  let n = 0
  outer: for (let i = 0; i < first.length; i++) {
    const value = first[i] ?? 0
    for (let j = 0; j < rest.length; j++) {
      const list = rest[j] ?? new Uint32Array(0)
      let lo = cursors[j] ?? 0
      let step = 1
      while (lo + step < list.length && (list[lo + step] ?? 0) < value) { lo += step; step *= 2 }
      let hi = Math.min(lo + step, list.length)
      while (lo < hi) {
        const mid = (lo + hi) >> 1
        if ((list[mid] ?? 0) < value) lo = mid + 1
        else hi = mid
      }
      cursors[j] = lo
      if (lo >= list.length) break outer
      if (list[lo] !== value) continue outer
    }
    out[n++] = value
  }
  return out.subarray(0, n)
}
