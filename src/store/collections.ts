/** Every sublevel the core uses; the name is also the key prefix on disk. */
export const COLLECTIONS = ['meta', 'peers', 'conversations', 'messages', 'messageIndex', 'messageHours', 'outbox', 'workspaces', 'membershipOps', 'ciphertexts', 'mlsInbox', 'mlsGroups', 'mlsKeyPackages', 'mlsDeposits', 'docs', 'docUpdates', 'avatars', 'sealedValues', 'mailboxDeposits', 'routes', 'drafts', 'files', 'fileDeposits', 'annotations', 'searchDocs', 'searchPostings', 'searchRefs', 'searchState', 'docSearch', 'inviteLabels'] as const
export type CollectionName = (typeof COLLECTIONS)[number]

/** Bounds on logical keys, as abstract-level takes them. */
export interface RangeOptions {
  gt?: string
  gte?: string
  lt?: string
  lte?: string
  reverse?: boolean
  limit?: number
}
