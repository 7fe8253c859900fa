import { z } from 'zod'
import { parseDeviceText } from '../ids.js'
import { askOnce, parseWith, serveRequest } from '../net/request-reply.js'
import { MAX_ROUTE_BYTES } from './route-record.js'
import type { PeerIdString } from '../api/contract.js'
import type { Logger } from '../logger.js'
import type { Connection, Stream } from '@libp2p/interface'

/**
 * Members tell each other how to reach members: each gives the routes it has news of and asks
 * for those it lacks (docs/protocol.md). Members only.
 */
export const ROUTES_PROTOCOL = '/enclave/routes/1.0.0'

/** Routes one request may give (its own and ones it passes on). */
export const MAX_GIVEN_ROUTES = 64
/** Routes an asker may say it holds; with more, the most recent ones. */
export const MAX_KNOWN_ROUTES = 4096
/** Devices one request may ask about by name. */
export const MAX_ASKED_ROUTES = 64
/** Bytes of routes in one reply; the rest is for the next request (`more`). */
export const REPLY_ROUTE_BYTES = 768 * 1024

const MAX_REQUEST_BYTES = MAX_GIVEN_ROUTES * (MAX_ROUTE_BYTES + 8) + MAX_KNOWN_ROUTES * 72 + MAX_ASKED_ROUTES * 64 + 256
const MAX_REPLY_BYTES = REPLY_ROUTE_BYTES + MAX_ROUTE_BYTES + 256

const route = z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.byteLength <= MAX_ROUTE_BYTES)
const device = z.string().max(64).transform((s, ctx) => {
  try {
    return parseDeviceText(s)
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not a device id' })
    return z.NEVER
  }
})
const askSchema = z.object({
  /** Per device, the newest route time the asker holds: only newer ones come back. */
  known: z.array(z.tuple([device, z.number().int().nonnegative()])).max(MAX_KNOWN_ROUTES),
  /** Only these devices' routes, or every member's the two share a workspace with. */
  only: z.array(device).max(MAX_ASKED_ROUTES).nullable()
}).strict()
const requestSchema = z.object({ give: z.array(route).max(MAX_GIVEN_ROUTES), ask: askSchema.nullable() }).strict()
const replySchema = z.object({ routes: z.array(route), more: z.boolean() }).strict()

export type RoutesRequest = z.infer<typeof requestSchema>
export type RoutesAsk = z.infer<typeof askSchema>
export interface RoutesReply { routes: Uint8Array[]; more: boolean }

export const routesDecoders = {
  request: parseWith(requestSchema, 'routes request'),
  reply: parseWith(replySchema, 'routes reply')
}

export interface RoutesServerComponents {
  log: Logger
  /** Takes the routes `from` gave, then answers its ask (nothing when it asked nothing). */
  answer(from: PeerIdString, request: RoutesRequest): Promise<RoutesReply>
}

export function serveRoutes(stream: Stream, connection: Connection, components: RoutesServerComponents): Promise<void> {
  return serveRequest(stream, connection, {
    log: components.log,
    name: 'routes',
    maxRequestBytes: MAX_REQUEST_BYTES,
    parse: routesDecoders.request,
    handle: async (from, req) => [await components.answer(from, req)]
  })
}

export function requestRoutes(stream: Stream, request: { give: Uint8Array[]; ask: { known: Array<[PeerIdString, number]>; only: PeerIdString[] | null } | null }): Promise<RoutesReply> {
  return askOnce(stream, request, { maxReplyBytes: MAX_REPLY_BYTES, parse: routesDecoders.reply })
}
