/** A stable hue per person, from their id, so two "Li Wei"s still look different. */
export function hueOf(seed: string): number {
  return Array.from(seed).reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 360, 7)
}

/** The person's avatar colour as `#rrggbb`: what others see their cursor in on a shared board. */
export function userColor(seed: string): string {
  const h = hueOf(seed), s = 0.55, l = 0.42
  const channel = (n: number): string => {
    const k = (n + h / 30) % 12
    const v = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1))
    return Math.round(v * 255).toString(16).padStart(2, '0')
  }
  return `#${channel(0)}${channel(8)}${channel(4)}`
}
