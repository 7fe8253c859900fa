/** Shows a MediaStream in a <video> or <audio> element (`use:mediaStream={stream}`). */
export function mediaStream(node: HTMLMediaElement, stream: MediaStream | null): { update(next: MediaStream | null): void } {
  const show = (s: MediaStream | null): void => {
    if (node.srcObject === s) return
    node.srcObject = s
    if (s !== null) void node.play().catch(() => undefined)
  }
  show(stream)
  return { update: show }
}
