/**
 * The one thing an API shell must provide: a duplex of JSON-able frames. The loopback
 * WebSocket, Electron's MessagePort and in-memory test pairs all adapt to this.
 */
export interface ApiPort {
  send(frame: unknown): void
  onMessage(listener: (frame: unknown) => void): void
  onClose(listener: () => void): void
  close(): void
}

/** Two connected in-memory ports, for tests and in-process clients. */
export function createPortPair(): [ApiPort, ApiPort] {
  const make = (): ApiPort & { peer?: ApiPort & { deliver(f: unknown): void; closed(): void }; deliver(f: unknown): void; closed(): void } => {
    const messageListeners: Array<(f: unknown) => void> = []
    const closeListeners: Array<() => void> = []
    let open = true
    const port = {
      peer: undefined as (ApiPort & { deliver(f: unknown): void; closed(): void }) | undefined,
      send: (frame: unknown) => {
        if (!open) return
        // Structured-clone semantics, like a real MessagePort: no shared references.
        const copy = structuredClone(frame)
        queueMicrotask(() => port.peer?.deliver(copy))
      },
      onMessage: (l: (f: unknown) => void) => { messageListeners.push(l) },
      onClose: (l: () => void) => { closeListeners.push(l) },
      close: () => {
        if (!open) return
        port.closed()
        port.peer?.closed()
      },
      deliver: (f: unknown) => { if (open) for (const l of messageListeners) l(f) },
      closed: () => {
        if (!open) return
        open = false
        for (const l of closeListeners) l()
      }
    }
    return port
  }
  const a = make()
  const b = make()
  a.peer = b
  b.peer = a
  return [a, b]
}
