/**
 * A forwarded message's text: who wrote it, then their text as a markdown quote (so formatting
 * inside stays, and the copy reads as a quote, not as the forwarder's own words).
 */
export function forwardedText(attribution: string, text: string): string {
  const quoted = text.split('\n').map((line) => (line === '' ? '>' : `> ${line}`)).join('\n')
  return `${attribution}\n${quoted}`
}
