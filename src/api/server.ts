import { z } from 'zod'
import { EnclaveError, toApiError } from '../errors.js'
import { requestSchemas } from './schemas.js'
import type { Bus } from '../bus.js'
import type { Logger } from '../logger.js'
import type { Events, EventName, Method, RequestInput, RequestOutput, ServerFrame } from './contract.js'
import type { ApiPort } from './port.js'

export type Handlers = { [M in Method]: (input: RequestInput<M>) => Promise<RequestOutput<M>> }

export interface ApiServer {
  /** Serves one client on a port until it closes; returns a function that disconnects it. */
  connect(port: ApiPort): () => void
  /** Sends an event to every connected client. */
  emit<E extends EventName>(name: E, payload: Events[E]): void
  /** Calls a method in-process with the same validation a remote client gets. */
  call<M extends Method>(method: M, input: unknown): Promise<RequestOutput<M>>
  readonly clients: number
}

const callFrame = z.object({ type: z.literal('call'), id: z.number().int().min(0), method: z.string().max(100), params: z.unknown().optional() }).strict()

/**
 * The issue that says what is wrong. Of a union (`chat.send` names a conversation or a peer) the
 * branch the caller evidently meant, the one with the fewest issues: "not a peer id", rather than
 * zod's "Invalid input".
 */
function describe(issues: readonly z.core.$ZodIssue[]): string {
  const issue = issues[0]
  if (issue === undefined) return 'invalid'
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const closest = issue.errors.reduce((a, b) => (b.length < a.length ? b : a))
    return describe(closest)
  }
  const path = issue.path.map(String).join('.')
  return path === '' ? issue.message : `${path}: ${issue.message}`
}

function isMethod(name: string): name is Method {
  return Object.hasOwn(requestSchemas, name)
}

/**
 * The API over any number of ports. Every call is validated against its schema before a
 * handler sees it; every failure returns a coded error and the port stays open. Events the
 * services publish on `events` reach every connected port.
 */
export function createApiServer(handlers: Handlers, log: Logger, events?: Bus<Events>): ApiServer {
  const ports = new Set<ApiPort>()
  const fanOut = <E extends EventName>(name: E, payload: Events[E]): void => {
    const frame: ServerFrame = { type: 'event', name, payload }
    for (const port of ports) port.send(frame)
  }
  events?.onAny(fanOut)

  const call = async <M extends Method>(method: M, input: unknown): Promise<RequestOutput<M>> => {
    if (!isMethod(method)) throw new EnclaveError('unknown-method', `no API method ${String(method).slice(0, 100)}`)
    const parsed = requestSchemas[method].safeParse(input ?? {})
    if (!parsed.success) {
      throw new EnclaveError('bad-request', `invalid params for ${method}: ${describe(parsed.error.issues)}`)
    }
    const handler = handlers[method] as (input: unknown) => Promise<RequestOutput<M>>
    return handler(parsed.data)
  }

  const onFrame = async (port: ApiPort, raw: unknown): Promise<void> => {
    const frame = callFrame.safeParse(raw)
    if (!frame.success) {
      const id = (raw as { id?: unknown } | null)?.id
      port.send({ type: 'result', id: typeof id === 'number' ? id : -1, ok: false, error: { code: 'bad-request', message: 'malformed API frame' } } satisfies ServerFrame)
      return
    }
    const { id, method, params } = frame.data
    try {
      const value = await call(method as Method, params)
      port.send({ type: 'result', id, ok: true, value } satisfies ServerFrame)
    } catch (err) {
      const error = toApiError(err)
      if (error.code === 'internal') log.error('API call failed', { method, error: error.message })
      port.send({ type: 'result', id, ok: false, error } satisfies ServerFrame)
    }
  }

  return {
    connect: (port) => {
      ports.add(port)
      port.onMessage((raw) => { void onFrame(port, raw) })
      port.onClose(() => ports.delete(port))
      return () => { ports.delete(port); port.close() }
    },
    emit: fanOut,
    call: (method, input) => call(method, input),
    get clients () { return ports.size }
  }
}
