/**
 * libp2p 3 expects two things Node 20 lacks; this module supplies them and must load before
 * any libp2p code (src/index.ts imports it first). Electron's Node (22+) needs neither, so
 * each shim only fills a gap.
 */
import { WebSocket as WsWebSocket } from 'ws'

interface Resolvers<T> { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void }

const promiseCtor = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> }
if (typeof promiseCtor.withResolvers !== 'function') {
  // Without it every connection fails: "EncryptionFailedError: Promise.withResolvers is not a function".
  promiseCtor.withResolvers = <T>(): Resolvers<T> => {
    let resolve!: Resolvers<T>['resolve']
    let reject!: Resolvers<T>['reject']
    const promise = new Promise<T>((res, rej) => { resolve = res; reject = rej })
    return { promise, resolve, reject }
  }
}

const g = globalThis as { WebSocket?: unknown }
// @libp2p/websockets dials with the global WebSocket, which Node 20 does not ship.
g.WebSocket ??= WsWebSocket
