/**
 * The API's ids: part of the contract (which re-exports them), in a file of their own so the
 * contract's other parts (file-views.ts) can use them without importing the contract.
 */

declare const brand: unique symbol
export type Brand<T, B extends string> = T & { readonly [brand]: B }

/** A libp2p PeerId in its base58btc string form (`12D3Koo…`). */
export type PeerIdString = Brand<string, 'PeerId'>
/** `dm:<hash>` for a direct conversation, `ch:<hex>` for a channel. */
export type ConversationId = Brand<string, 'ConversationId'>
/** `<conversationId>/<author>/<seq>`: unique across devices, stable forever. */
export type MessageId = Brand<string, 'MessageId'>
/** `w` + 32 hex digits of the hash of the workspace root public key. */
export type WorkspaceId = Brand<string, 'WorkspaceId'>
/** A member of a workspace (a person; their devices are PeerIds). 8–64 of `[0-9A-Za-z_-]`. */
export type UserId = Brand<string, 'UserId'>
/** An invite of a workspace. 8–64 of `[0-9A-Za-z_-]`. */
export type InviteId = Brand<string, 'InviteId'>
/** A department of a workspace's org tree. 8–64 of `[0-9A-Za-z_-]`. */
export type DepartmentId = Brand<string, 'DepartmentId'>

/*
 * Every id above is made by a parsing function in src/ids.ts (which checks its format) or comes
 * from a view the core produced; nothing else makes one. Ids arriving at the API are parsed by
 * the request schemas (src/api/schemas.ts) before any handler sees them.
 */

/** A member's role in a workspace (not an id, but shared the same way by the contract's parts). */
export type Role = 'owner' | 'admin' | 'member' | 'guest'
