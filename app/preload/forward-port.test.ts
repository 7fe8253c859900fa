import assert from 'node:assert/strict'
import { EventEmitter, once } from 'node:events'
import { test } from 'node:test'
import { MessageChannel } from 'node:worker_threads'
import { createApiServer, type Handlers } from '../../src/api/server.js'
import { createApiClient } from '../../src/api/api-client.js'
import { API_PORT_CHANNEL, forwardApiPort, type PortSink, type PortSource } from './forward-port.js'
import type { ClientFrame, NodeInfo, PeerIdString, ServerFrame } from '../../src/api/contract.js'
import type { ApiPort } from '../../src/api/port.js'

/** Stands in for ipcRenderer: main's `webContents.postMessage` arrives as an event with ports. */
class FakeIpc<P> extends EventEmitter implements PortSource<P> {
  deliver(channel: string, ports: P[]): void { this.emit(channel, { ports }) }
}

/** The DOM MessagePort surface the renderer uses; Node's MessagePort has it at runtime. */
interface DomStylePort {
  postMessage(message: unknown, transfer?: DomStylePort[]): void
  addEventListener(type: 'message', listener: (event: { data: unknown; ports: DomStylePort[] }) => void): void
  addEventListener(type: 'close', listener: () => void): void
  start(): void
  close(): void
}

function nodeChannel(): { port1: DomStylePort; port2: DomStylePort } {
  const { port1, port2 } = new MessageChannel()
  return { port1: port1 as unknown as DomStylePort, port2: port2 as unknown as DomStylePort }
}

/** Serves the API on a DOM-style MessagePort, as the core does on its end of the window's channel. */
function domPortToApiPort(port: DomStylePort): ApiPort {
  return {
    send: (frame) => { port.postMessage(frame) },
    onMessage: (listener) => {
      port.addEventListener('message', (event) => { listener(event.data) })
      port.start()
    },
    onClose: (listener) => { port.addEventListener('close', listener) },
    close: () => { port.close() }
  }
}

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent }
const info: NodeInfo = { peerId: '12D3KooWtest' as PeerIdString, addresses: [], protocols: [], version: '0.0.0' }

test('forwards the port main sends to the page, transferring it and nothing else', () => {
  const ipc = new FakeIpc<string>()
  const posted: Array<{ message: unknown; origin: string; transfer: string[] }> = []
  const page: PortSink<string> = { postMessage: (message, origin, transfer) => { posted.push({ message, origin, transfer }) } }
  forwardApiPort(ipc, page)

  ipc.deliver(API_PORT_CHANNEL, ['port-a'])
  ipc.deliver(API_PORT_CHANNEL, [])
  ipc.deliver('something-else', ['port-b'])
  ipc.deliver(API_PORT_CHANNEL, ['port-c'])

  assert.deepEqual(posted, [
    { message: { type: 'enclave:api-port' }, origin: '*', transfer: ['port-a'] },
    { message: { type: 'enclave:api-port' }, origin: '*', transfer: ['port-c'] }
  ])
})

test('a page that receives the forwarded port calls the API and hears its events', async () => {
  const server = createApiServer({ 'node.info': () => Promise.resolve(info) } as unknown as Handlers, silent)
  const api = nodeChannel()
  server.connect(domPortToApiPort(api.port1))

  // The preload's window.postMessage really transfers the port, here across a second channel.
  const window = nodeChannel()
  const arrived = new Promise<{ data: unknown; ports: DomStylePort[] }>((resolve) => {
    window.port2.addEventListener('message', resolve)
    window.port2.start()
  })
  const ipc = new FakeIpc<DomStylePort>()
  forwardApiPort<DomStylePort>(ipc, { postMessage: (message, _origin, transfer) => { window.port1.postMessage(message, transfer) } })
  ipc.deliver(API_PORT_CHANNEL, [api.port2])

  const event = await arrived
  assert.deepEqual(event.data, { type: 'enclave:api-port' })
  const port = event.ports[0]
  assert.ok(port !== undefined)

  const frames: ServerFrame[] = []
  const received = new EventEmitter()
  port.addEventListener('message', (e) => {
    frames.push(e.data as ServerFrame)
    received.emit('frame')
  })
  port.start()
  port.postMessage({ type: 'call', id: 7, method: 'node.info', params: {} } satisfies ClientFrame)
  await once(received, 'frame')
  assert.deepEqual(frames[0], { type: 'result', id: 7, ok: true, value: info })

  server.emit('shell.linkOpened', { kind: 'peer', peerId: info.peerId })
  await once(received, 'frame')
  assert.deepEqual(frames[1], { type: 'event', name: 'shell.linkOpened', payload: { kind: 'peer', peerId: info.peerId } })

  // The same port also works with the typed client main uses.
  const client = createApiClient()
  client.attach(domPortToApiPort(port))
  assert.deepEqual(await client.call('node.info', {}), info)

  client.close()
  for (const p of [api.port1, window.port1, window.port2]) p.close()
})
