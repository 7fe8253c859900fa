import { conversations } from './conversations.svelte'
import { session } from './session.svelte'
import type { ChannelSummary, ChannelVisibility, ConversationId, ConversationView, PeerIdString, WorkspaceId } from '../../src/api/contract'

/** The core's limits (src/chat/channel-limits.ts), for the form fields' maxlength. */
export const MAX_CHANNEL_NAME = 80
export const MAX_CHANNEL_TOPIC = 250

export interface NewChannel {
  workspaceId: WorkspaceId
  name: string
  topic: string
  visibility: Exclude<ChannelVisibility, 'workspace'>
  /** Devices to add besides this one. */
  members: readonly PeerIdString[]
}

export interface ChannelChanges { name?: string; topic?: string; archived?: boolean }

/** "#launch " and "launch" name the same channel: the hash is the UI's, not part of the name. */
export function cleanChannelName(name: string): string {
  return name.trim().replace(/^#+/, '').trim()
}

/**
 * What a person does to channels. Every answer is a fresh conversation view: it goes into the
 * conversation list at once, ahead of the `conversations.changed` event that follows.
 */
class ChannelsActions {
  async create(input: NewChannel): Promise<ConversationView> {
    const topic = input.topic.trim()
    const c = await session.api.call('channels.create', {
      workspaceId: input.workspaceId,
      name: cleanChannelName(input.name),
      visibility: input.visibility,
      ...(topic === '' ? {} : { topic }),
      ...(input.members.length === 0 ? {} : { members: [...input.members] })
    })
    conversations.upsert(c)
    conversations.select(c.id)
    return c
  }

  async add(conversationId: ConversationId, devices: readonly PeerIdString[]): Promise<void> {
    if (devices.length === 0) return
    conversations.upsert(await session.api.call('channels.add', { conversationId, members: [...devices] }))
  }

  /** Removes a person: every one of their devices in the channel. */
  async remove(conversationId: ConversationId, devices: readonly PeerIdString[]): Promise<void> {
    for (const peerId of devices) conversations.upsert(await session.api.call('channels.remove', { conversationId, peerId }))
  }

  async leave(conversationId: ConversationId): Promise<void> {
    conversations.upsert(await session.api.call('channels.leave', { conversationId }))
  }

  async update(conversationId: ConversationId, changes: ChannelChanges): Promise<void> {
    const input = { conversationId, ...changes, ...(changes.name === undefined ? {} : { name: cleanChannelName(changes.name) }) }
    conversations.upsert(await session.api.call('channels.update', input))
  }

  browse(workspaceId: WorkspaceId): Promise<ChannelSummary[]> {
    return session.api.call('channels.browse', { workspaceId })
  }

  /** Asks to join an open channel and shows it (waiting to be added, until a member's device does). */
  async join(conversationId: ConversationId): Promise<void> {
    const c = await session.api.call('channels.join', { conversationId })
    conversations.upsert(c)
    conversations.select(c.id)
  }
}

export const channels = new ChannelsActions()
