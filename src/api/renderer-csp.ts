/**
 * The renderer's Content-Security-Policy, one policy for every way it is served: its own
 * scripts, styles, fonts and images; no inline code, no eval, no frames, forms or base-URI
 * tricks. The shells differ only in what the page may connect to. Both send it as a header;
 * renderer/index.html carries it again as a <meta> (renderer-csp.test.ts keeps them equal), so
 * the page stays confined if a header is ever lost and a reader of the HTML sees the policy.
 */
type Directive = readonly [name: string, sources: string]

function directives(connectSrc: string): readonly Directive[] {
  return [
    ['default-src', "'none'"],
    ['script-src', "'self'"],
    ['style-src', "'self'"],
    ['img-src', "'self' data: blob:"],
    ['font-src', "'self'"],
    // Shared videos play from blob: URLs the page makes from the file's bytes (the core's API reads them).
    ['media-src', 'blob:'],
    ['connect-src', connectSrc],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    ['frame-ancestors', "'none'"]
  ]
}

/** Browsers ignore these in a <meta> policy (CSP Level 3, "meta element"); only a header can set them. */
export const HEADER_ONLY_DIRECTIVES: ReadonlySet<string> = new Set(['frame-ancestors', 'report-uri', 'sandbox'])

const serialize = (list: readonly Directive[]): string => list.map(([name, sources]) => `${name} ${sources}`).join('; ')

/** Electron's app:// pages: the API travels over a MessagePort, so no connections at all. */
export const DESKTOP_RENDERER_CSP = serialize(directives("'none'"))

/** `enclave serve`: the page's one connection is the API WebSocket on the port it was served from. */
export function browserRendererCsp(port: number): string {
  return serialize(directives(`ws://127.0.0.1:${port} ws://localhost:${port}`))
}

/**
 * The <meta> copy in renderer/index.html. Browsers enforce it together with the header, so it
 * must allow what either shell needs: loopback WebSockets on any port (the browser shell's port
 * is picked at start); each shell's header narrows that to none, or to its own port.
 */
export const RENDERER_META_CSP = serialize(directives('ws://127.0.0.1:* ws://localhost:*').filter(([name]) => !HEADER_ONLY_DIRECTIVES.has(name)))
