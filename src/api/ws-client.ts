import { WebSocket } from 'ws'
import { errorMessage } from '../errors.js'
import { ApiCallError, createApiClient, type ApiClient, type ApiTransport } from './api-client.js'
import { API_SUBPROTOCOL, API_TOKEN_PREFIX } from './contract.js'
import { wsToPort } from './ws-port.js'

export interface ApiEndpoint {
  /** `ws://127.0.0.1:<port>`, from the node's api.json */
  url: string
  token: string
}

/** Opens a Node WebSocket to a node's loopback API, offering the token as a subprotocol. */
export async function openWsTransport(endpoint: ApiEndpoint): Promise<ApiTransport> {
  const ws = new WebSocket(endpoint.url, [API_SUBPROTOCOL, `${API_TOKEN_PREFIX}${endpoint.token}`])
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => { resolve() })
    ws.once('error', (err) => { reject(new ApiCallError({ code: 'node-not-running', message: `cannot reach the node API at ${endpoint.url}: ${errorMessage(err)}` }, { cause: err })) })
    ws.once('unexpected-response', (_req, res) => {
      reject(new ApiCallError({ code: 'unauthorized', message: `the node refused the API connection (HTTP ${res.statusCode ?? '?'})` }))
    })
  })
  // `ws` throws an 'error' nobody listens to; each is followed by 'close', which the client handles.
  ws.on('error', () => undefined)
  return wsToPort(ws)
}

/** Connects to a node's loopback API (Node side: CLI, tests, benchmarks, bots). */
export async function connectApi(endpoint: ApiEndpoint): Promise<ApiClient> {
  return createApiClient(await openWsTransport(endpoint))
}
