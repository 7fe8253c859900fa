import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { filesToShare } from './file-paths.js'
import { runInviteCommand, runInvitesCommand } from './invite-command.js'
import { runBackupCommand } from './backup-command.js'
import { runDeviceCommand } from './device-command.js'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ApiCallError, type ApiClient } from '../api/api-client.js'
import { connectApi } from '../api/ws-client.js'
import { EnclaveError, errorMessage } from '../errors.js'
import { parseConversationId, parsePeerId, parseWorkspaceId } from '../ids.js'
import { UsageError } from './cli-error.js'
import { defaultDataDir, readEndpoint } from './endpoint.js'
import { formatBytes, formatConversation, formatFile, formatMessage, formatPeer, formatProgress, formatNetHealth } from './format.js'
import { USAGE } from './usage.js'
import type { ConversationId, ConversationRef, MemberView, MessageId, WorkspaceId } from '../api/contract.js'
import type { KeyProtection } from '../index.js'

type Options = NonNullable<ParseArgsConfig['options']>

const common: Options = {
  data: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
}

const out = (line: string): void => { process.stdout.write(line + '\n') }
const json = (value: unknown): void => { out(JSON.stringify(value, null, 2)) }

function parse(command: string, args: string[], extra: Options = {}): { values: Record<string, string | boolean | Array<string | boolean> | undefined>; positionals: string[] } {
  try {
    return parseArgs({ args, options: { ...common, ...extra }, allowPositionals: true, strict: true })
  } catch (err) {
    throw new UsageError(errorMessage(err), command)
  }
}

/** The renderer Vite built into dist/renderer, next to this compiled file's dist/src. */
function builtRendererDir(): string {
  const dir = fileURLToPath(new URL('../../renderer/', import.meta.url))
  if (!existsSync(join(dir, 'index.html'))) throw new EnclaveError('not-found', `the app is not built (no ${dir}index.html); run npm run build`)
  return dir
}

function conversationRef(target: string): ConversationRef {
  return target.startsWith('dm:') || target.startsWith('ch:') ? { conversationId: parseConversationId(target) } : { peerId: parsePeerId(target) }
}

/** A conversation named by its id, or a DM by the id of any device of the other person. */
async function conversationIdFor(api: ApiClient, target: string): Promise<ConversationId> {
  const ref = conversationRef(target)
  if ('conversationId' in ref) return ref.conversationId
  const people = await Promise.all((await api.call('workspaces.list', {})).map((w) => api.call('workspaces.members', { workspaceId: w.id }).catch((): MemberView[] => [])))
  const theirs = people.flat().find((m) => m.devices.includes(ref.peerId))?.devices ?? [ref.peerId]
  const dm = (await api.call('conversations.list', {})).find((c) => c.kind === 'dm' && c.peerId !== null && theirs.includes(c.peerId))
  if (dm === undefined) throw new UsageError(`no conversation with ${target}`, 'search')
  return dm.id
}

/** Midnight (local time) starting YYYY-MM-DD, in ms. */
function dayStart(text: string, command: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  const at = m === null ? NaN : new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])).getTime()
  if (!Number.isFinite(at)) throw new UsageError(`not a date (YYYY-MM-DD): ${text}`, command)
  return at
}

async function withClient<T>(dataDir: string, fn: (api: ApiClient) => Promise<T>): Promise<T> {
  const api = await connectApi(await readEndpoint(dataDir))
  try {
    return await fn(api)
  } finally {
    api.close()
  }
}

/** The store's key protection from --passphrase-file, ENCLAVE_PASSPHRASE or --key-file. */
async function storeKeyOption(values: Record<string, unknown>, command: string): Promise<KeyProtection | undefined> {
  const passphraseFile = values['passphrase-file']
  const keyFile = values['key-file']
  if (typeof passphraseFile === 'string' && typeof keyFile === 'string') throw new UsageError('give either --passphrase-file or --key-file', command)
  if (typeof keyFile === 'string') return { kind: 'key-file', path: resolve(keyFile) }
  if (typeof passphraseFile === 'string') {
    const text = await readFile(passphraseFile, 'utf8').catch(() => { throw new UsageError(`cannot read ${passphraseFile}`, command) })
    return { kind: 'passphrase', passphrase: text.replace(/\r?\n$/, '') }
  }
  const fromEnv = process.env.ENCLAVE_PASSPHRASE
  return fromEnv === undefined || fromEnv === '' ? undefined : { kind: 'passphrase', passphrase: fromEnv }
}

/** `30s`, `15m`, `48h`, `7d` → milliseconds. */
function parseDuration(text: string, command: string): number {
  const match = /^(\d+)\s*([smhd])$/.exec(text.trim())
  if (match?.[1] === undefined || match[2] === undefined) throw new UsageError('durations look like 30m, 48h or 7d', command)
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd']
  return Number(match[1]) * unit
}

/** The workspace a command means: the one given, or the only one this device is in. */
async function workspaceIdFor(api: ApiClient, given: unknown): Promise<WorkspaceId> {
  if (typeof given === 'string') return parseWorkspaceId(given)
  const list = await api.call('workspaces.list', {})
  if (list.length === 1 && list[0] !== undefined) return list[0].id
  throw new EnclaveError('bad-request', list.length === 0 ? 'this device is in no workspace (enclave workspace create NAME, or enclave join LINK)' : 'this device is in several workspaces: pass --workspace ID')
}

/** Who a relay serves: `--workspace`, `--allow PEER`… or `--allow-anyone`, one of them at most. */
function relayOptions(values: ReturnType<typeof parse>['values'], command: string): { workspace?: string; allow?: string[] | 'anyone' } {
  const allow = ((values.allow as string[] | undefined) ?? []).map(parsePeerId)
  const anyone = values['allow-anyone'] === true
  const workspace = typeof values.workspace === 'string' ? values.workspace : undefined
  if ([workspace !== undefined, allow.length > 0, anyone].filter(Boolean).length > 1) throw new UsageError('give one of --workspace, --allow or --allow-anyone', command)
  return workspace !== undefined ? { workspace } : anyone ? { allow: 'anyone' } : allow.length > 0 ? { allow } : {}
}

function positional(positionals: string[], index: number, name: string, command: string): string {
  const value = positionals[index]
  if (value === undefined) throw new UsageError(`missing ${name}`, command)
  return value
}

async function run(argv: string[]): Promise<void> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') { out(USAGE.main ?? ''); return }
  const usage = USAGE[command]
  if (usage === undefined || command === 'main') throw new UsageError(`unknown command '${command}'`, 'main')

  const nodeOptions: Options = { listen: { type: 'string', multiple: true }, peer: { type: 'string', multiple: true }, 'no-mdns': { type: 'boolean' }, 'api-port': { type: 'string' }, 'passphrase-file': { type: 'string' }, 'key-file': { type: 'string' }, mailbox: { type: 'boolean' }, relay: { type: 'string', multiple: true } }
  const extra: Options = command === 'node'
    ? nodeOptions
    : command === 'relay' ? { ...nodeOptions, workspace: { type: 'string' }, allow: { type: 'string', multiple: true }, 'allow-anyone': { type: 'boolean' } }
    : command === 'serve' ? { ...nodeOptions, port: { type: 'string' } }
      : command === 'history' ? { limit: { type: 'string' }, before: { type: 'string' } }
      : command === 'search' ? { in: { type: 'string' }, from: { type: 'string', multiple: true }, has: { type: 'string', multiple: true }, mentions: { type: 'boolean' }, after: { type: 'string' }, before: { type: 'string' }, limit: { type: 'string' } }
        : command === 'invite' ? { workspace: { type: 'string' }, role: { type: 'string' }, expires: { type: 'string' }, approval: { type: 'boolean' }, uses: { type: 'string' }, department: { type: 'string', multiple: true }, for: { type: 'string' }, csv: { type: 'string' }, qr: { type: 'boolean' } }
          : command === 'members' || command === 'invites' ? { workspace: { type: 'string' } }
          : command === 'backup' ? { 'backup-passphrase-file': { type: 'string' }, to: { type: 'string' }, every: { type: 'string' }, keep: { type: 'string' }, off: { type: 'boolean' }, 'passphrase-file': { type: 'string' }, 'key-file': { type: 'string' } }
            : command === 'device' ? { workspace: { type: 'string' } }
            : command === 'workspace' ? { clear: { type: 'boolean' }, 'max-mb': { type: 'string' }, block: { type: 'string' }, 'no-guests': { type: 'boolean' }, 'recall-minutes': { type: 'string' } }
              : command === 'channel' ? { workspace: { type: 'string' }, topic: { type: 'string' }, open: { type: 'boolean' }, member: { type: 'string', multiple: true } }
                : command === 'send-file' ? { caption: { type: 'string' } }
                  : command === 'get-file' ? { out: { type: 'string' } } : {}
  const { values, positionals } = parse(command, rest, extra)
  if (values.help === true) { out(usage); return }
  const dataDir = typeof values.data === 'string' ? values.data : defaultDataDir()
  const asJson = values.json === true

  if (command === 'relay' && positionals[0] === 'status') {
    if (positionals.length > 1) throw new UsageError(`unexpected argument '${positionals[1] ?? ''}'`, command)
    const status = await withClient(dataDir, (api) => api.call('net.health', {}))
    if (asJson) json(status)
    else out(formatNetHealth(status))
    return
  }

  switch (command) {
    case 'relay':
    case 'node':
    case 'serve': {
      if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`, command)
      const portText = values.port ?? values['api-port']
      const apiPort = portText === undefined ? 0 : Number(portText)
      if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535) throw new UsageError('the port must be a number from 0 to 65535', command)
      const rendererDir = command === 'serve' ? builtRendererDir() : undefined
      // Loaded only here: the client verbs start in a fraction of the time without libp2p.
      const { runNode } = await import('./node-command.js')
      await runNode({
        dataDir,
        listen: (values.listen as string[] | undefined) ?? [],
        peers: (values.peer as string[] | undefined) ?? [],
        // A relay is reached by its address, never discovered on a LAN.
        mdns: values['no-mdns'] !== true && command !== 'relay',
        mailbox: values.mailbox === true,
        relays: (values.relay as string[] | undefined) ?? [],
        ...(command === 'relay' ? { relay: relayOptions(values, command) } : {}),
        apiPort,
        rendererDir,
        storeKey: await storeKeyOption(values, command)
      }, out)
      return
    }
    case 'id': {
      const info = await withClient(dataDir, (api) => api.call('node.info', {}))
      if (asJson) json({ peerId: info.peerId, addresses: info.addresses })
      else { out(info.peerId); for (const a of info.addresses) out(`  ${a}`) }
      return
    }
    case 'peers': {
      const peers = await withClient(dataDir, (api) => api.call('peers.list', {}))
      if (asJson) json(peers)
      else if (peers.length === 0) out('no known peers')
      else for (const p of peers) out(formatPeer(p))
      return
    }
    case 'dial': {
      const address = positional(positionals, 0, 'MULTIADDR', command)
      const peer = await withClient(dataDir, (api) => api.call('peers.dial', { address }))
      if (asJson) json(peer)
      else out(formatPeer(peer))
      return
    }
    case 'send': {
      const target = positional(positionals, 0, 'PEER', command)
      const text = positionals.slice(1).join(' ')
      if (text.length === 0) throw new UsageError('missing TEXT', command)
      const message = await withClient(dataDir, (api) => api.call('chat.send', { ...conversationRef(target), text }))
      if (asJson) json(message)
      else out(`${message.id} ${message.state}`)
      return
    }
    case 'send-file': {
      const target = positional(positionals, 0, 'PEER|CONVERSATION', command)
      const paths = positionals.slice(1)
      if (paths.length === 0) throw new UsageError('missing PATH', command)
      const caption = typeof values.caption === 'string' ? values.caption : undefined
      // Folders are opened here: every file inside is shared (the caption goes with the first).
      const files = await filesToShare(paths)
      const sent = await withClient(dataDir, async (api) => {
        const views = []
        // One after another: each is sealed and stored before its message goes out.
        for (const [i, path] of files.entries()) views.push(await api.call('files.send', { ...conversationRef(target), path, ...(caption === undefined || i > 0 ? {} : { caption }) }))
        return views
      })
      if (asJson) json(sent)
      else for (const m of sent) out(`${m.id} ${m.file?.name ?? ''} ${m.state}`)
      return
    }
    case 'files': {
      const conversationId = positionals[0] === undefined ? undefined : parseConversationId(positionals[0])
      const list = await withClient(dataDir, (api) => api.call('files.list', conversationId === undefined ? {} : { conversationId }))
      if (asJson) json(list)
      else if (list.length === 0) out('no files')
      else for (const f of list) out(formatFile(f))
      return
    }
    case 'get-file': {
      const messageId = positional(positionals, 0, 'FILE-ID', command) as MessageId
      if (typeof values.out !== 'string') throw new UsageError('missing --out PATH', command)
      const path = resolve(values.out)
      const saved = await withClient(dataDir, async (api) => {
        const tty = process.stderr.isTTY && !asJson
        const off = api.on('files.changed', (f) => { if (tty && f.messageId === messageId) process.stderr.write(`\r${formatProgress(f)}\x1b[K`) })
        try {
          return await api.call('files.save', { messageId, path })
        } finally {
          off()
          if (tty) process.stderr.write('\n')
        }
      })
      if (asJson) json(saved)
      else out(`saved ${saved.path} (${formatBytes(saved.size)})`)
      return
    }
    case 'history': {
      const target = positional(positionals, 0, 'PEER', command)
      const limit = values.limit === undefined ? undefined : Number(values.limit)
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit must be a positive integer', command)
      const before = typeof values.before === 'string' ? values.before : undefined
      const messages = await withClient(dataDir, (api) => api.call('chat.history', { ...conversationRef(target), limit, before }))
      if (asJson) json(messages)
      else for (const m of messages) out(formatMessage(m))
      return
    }
    case 'search': {
      const query = positionals.join(' ')
      const limit = values.limit === undefined ? undefined : Number(values.limit)
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 200)) throw new UsageError('--limit must be an integer from 1 to 200', command)
      const has = (values.has as string[] | undefined) ?? []
      const wrong = has.find((h) => h !== 'file' && h !== 'link')
      if (wrong !== undefined) throw new UsageError(`--has takes file or link, not '${wrong}'`, command)
      const result = await withClient(dataDir, async (api) => {
        const where = typeof values.in === 'string' ? await conversationIdFor(api, values.in) : undefined
        return api.call('search.query', {
          query,
          kinds: ['messages', 'files', 'docs'],
          ...(where === undefined ? {} : { conversationId: where }),
          ...(values.from === undefined ? {} : { from: (values.from as string[]).map(parsePeerId) }),
          ...(has.length === 0 ? {} : { has: has as Array<'file' | 'link'> }),
          ...(values.mentions === true ? { mentionsMe: true } : {}),
          ...(typeof values.after === 'string' ? { after: dayStart(values.after, command) } : {}),
          ...(typeof values.before === 'string' ? { before: dayStart(values.before, command) } : {}),
          ...(limit === undefined ? {} : { limit })
        })
      })
      const hits = [...result.messages, ...result.files].sort((x, y) => y.message.sentAt - x.message.sentAt)
      if (asJson) { json({ hits, docs: result.docs, next: result.next, index: result.index }); return }
      if (result.tooShort) out('type two or more characters (or a filter) to search messages')
      if (result.index.state !== 'ready') out(`(the search index is ${result.index.state}: ${result.index.done} of ${result.index.total} parts of history done)`)
      for (const d of result.docs) out(`${d.doc.kind} "${d.doc.title}"${d.snippet === '' ? '' : `: ${d.snippet}`}`)
      if (hits.length === 0 && result.docs.length === 0 && !result.tooShort) out('no messages or docs found')
      for (const h of hits) out(formatMessage({ ...h.message, text: h.message.file === undefined ? h.snippet : `${h.snippet} [${h.message.file.name}]` }))
      return
    }
    case 'conversations': {
      const list = await withClient(dataDir, (api) => api.call('conversations.list', {}))
      if (asJson) json(list)
      else if (list.length === 0) out('no conversations')
      else for (const c of list) out(formatConversation(c))
      return
    }
    case 'channel': {
      const sub = positional(positionals, 0, 'create, add, remove, leave', command)
      const conversation = await withClient(dataDir, async (api) => {
        if (sub === 'create') {
          const name = positionals.slice(1).join(' ')
          if (name.length === 0) throw new UsageError('missing NAME', command)
          return api.call('channels.create', {
            workspaceId: await workspaceIdFor(api, values.workspace),
            name,
            visibility: values.open === true ? 'open' : 'private',
            ...(typeof values.topic === 'string' ? { topic: values.topic } : {}),
            members: ((values.member as string[] | undefined) ?? []).map(parsePeerId)
          })
        }
        const conversationId = parseConversationId(positional(positionals, 1, 'CHANNEL', command))
        if (sub === 'add') {
          const members = positionals.slice(2).map(parsePeerId)
          if (members.length === 0) throw new UsageError('missing PEER…', command)
          return api.call('channels.add', { conversationId, members })
        }
        if (sub === 'remove') return api.call('channels.remove', { conversationId, peerId: parsePeerId(positional(positionals, 2, 'PEER', command)) })
        if (sub === 'leave') return api.call('channels.leave', { conversationId })
        throw new UsageError(`unknown channel command '${sub}'`, command)
      })
      if (asJson) json(conversation)
      else out(formatConversation(conversation))
      return
    }
    case 'workspace': {
      const sub = positional(positionals, 0, 'create, list or leave', command)
      if (sub === 'create') {
        const name = positionals.slice(1).join(' ')
        if (name.length === 0) throw new UsageError('missing NAME', command)
        const ws = await withClient(dataDir, (api) => api.call('workspaces.create', { name }))
        if (asJson) json(ws)
        else out(`Created workspace "${ws.name}" (${ws.id}); you are its owner.\nFingerprint: ${ws.fingerprint}`)
        return
      }
      if (sub === 'relays') {
        const workspaceId = parseWorkspaceId(positional(positionals, 1, 'workspace ID', command))
        const relays = positionals.slice(2)
        const ws = await withClient(dataDir, (api) => relays.length === 0 && values.clear !== true
          ? api.call('workspaces.list', {}).then((all) => all.find((w) => w.id === workspaceId) ?? Promise.reject(new EnclaveError('not-found', `this device is not in workspace ${workspaceId}`)))
          : api.call('workspaces.setRelays', { workspaceId, relays }))
        if (asJson) json(ws.relays)
        else if (ws.relays.length === 0) out('no relays listed')
        else for (const r of ws.relays) out(r)
        return
      }
      if (sub === 'file-rules') {
        const workspaceId = parseWorkspaceId(positional(positionals, 1, 'workspace ID', command))
        const maxText = typeof values['max-mb'] === 'string' ? values['max-mb'] : undefined
        const blockText = typeof values.block === 'string' ? values.block : undefined
        const setting = maxText !== undefined || blockText !== undefined || values['no-guests'] === true || values.clear === true
        const maxMb = maxText === undefined || maxText === '' ? null : Number(maxText)
        if (maxMb !== null && !(Number.isFinite(maxMb) && maxMb >= 0)) throw new UsageError('--max-mb takes a number of megabytes', command)
        const blocked = (blockText ?? '').split(',').map((e) => e.trim()).filter((e) => e !== '')
        const ws = await withClient(dataDir, (api) => setting
          ? api.call('workspaces.setFilePolicy', { workspaceId, maxBytes: maxMb === null ? null : Math.round(maxMb * 1e6), blocked, guests: values['no-guests'] !== true })
          : api.call('workspaces.list', {}).then((all) => all.find((w) => w.id === workspaceId) ?? Promise.reject(new EnclaveError('not-found', `this device is not in workspace ${workspaceId}`))))
        const p = ws.filePolicy
        if (asJson) json(p)
        else out(`largest file: ${p.maxBytes === null ? 'no limit' : `${p.maxBytes / 1e6} MB`}\nblocked types: ${p.blocked.length === 0 ? 'none' : p.blocked.join(', ')}\nfiles with guests: ${p.guests ? 'allowed' : 'not allowed'}`)
        return
      }
      if (sub === 'message-rules') {
        const workspaceId = parseWorkspaceId(positional(positionals, 1, 'workspace ID', command))
        const text = typeof values['recall-minutes'] === 'string' ? values['recall-minutes'] : values.clear === true ? '' : undefined
        const minutes = text === undefined || text === '' ? null : Number(text)
        if (minutes !== null && !(Number.isInteger(minutes) && minutes >= 1)) throw new UsageError('--recall-minutes takes a whole number of minutes', command)
        const ws = await withClient(dataDir, (api) => text !== undefined
          ? api.call('workspaces.setMessagePolicy', { workspaceId, recallMinutes: minutes })
          : api.call('workspaces.list', {}).then((all) => all.find((w) => w.id === workspaceId) ?? Promise.reject(new EnclaveError('not-found', `this device is not in workspace ${workspaceId}`))))
        const p = ws.messagePolicy
        if (asJson) json(p)
        else out(`members recall their own messages: ${p.recallMinutes === null ? 'at any time' : `within ${p.recallMinutes} minute${p.recallMinutes === 1 ? '' : 's'} of sending`}`)
        return
      }
      if (sub === 'leave') {
        const workspaceId = parseWorkspaceId(positional(positionals, 1, 'workspace ID', command))
        const ws = await withClient(dataDir, (api) => api.call('workspaces.leave', { workspaceId }))
        if (asJson) json(ws)
        else out(`Left workspace "${ws.name}". Its conversations stay on this device, read-only.`)
        return
      }
      if (sub !== 'list') throw new UsageError(`unknown workspace command '${sub}'`, command)
      const list = await withClient(dataDir, (api) => api.call('workspaces.list', {}))
      if (asJson) json(list)
      else if (list.length === 0) out('not in any workspace')
      else for (const w of list) out(`${w.id} "${w.name}" ${w.role}${w.status === 'pending' ? ' (awaiting approval)' : ''}, ${w.memberCount} members`)
      return
    }
    case 'invite': {
      await withClient(dataDir, async (api) => runInviteCommand(api, await workspaceIdFor(api, values.workspace), {
        role: values.role === undefined ? undefined : String(values.role),
        expiresInMs: values.expires === undefined ? undefined : parseDuration(String(values.expires), command),
        approval: values.approval === true,
        uses: values.uses === undefined ? undefined : String(values.uses),
        departments: ((values.department as string[] | undefined) ?? []),
        label: typeof values.for === 'string' ? values.for : undefined,
        csv: typeof values.csv === 'string' ? values.csv : undefined,
        qr: values.qr === true
      }, out, asJson))
      return
    }
    case 'join': {
      const link = positional(positionals, 0, 'LINK', command)
      const ws = await withClient(dataDir, (api) => api.call('workspaces.join', { link }))
      if (asJson) json(ws)
      else out(ws.status === 'pending' ? `Joined "${ws.name}"; an admin still has to approve you.` : `Joined "${ws.name}" as ${ws.role}.`)
      return
    }
    case 'invites': {
      await withClient(dataDir, async (api) => runInvitesCommand(api, await workspaceIdFor(api, values.workspace), positionals, out, asJson))
      return
    }
    case 'backup': {
      const text = (name: string): string | undefined => (typeof values[name] === 'string' ? values[name] : undefined)
      await runBackupCommand(positionals, {
        passphraseFile: text('backup-passphrase-file'),
        to: text('to'),
        every: text('every'),
        keep: text('keep'),
        off: values.off === true,
        storeKey: positionals[0] === 'restore' ? await storeKeyOption(values, command) : undefined
      }, { dataDir, withClient: (fn) => withClient(dataDir, fn), out, asJson })
      return
    }
    case 'device': {
      await runDeviceCommand(positionals, { withClient: (fn) => withClient(dataDir, fn), out, asJson, workspace: typeof values.workspace === 'string' ? values.workspace : undefined })
      return
    }
    case 'members': {
      const members = await withClient(dataDir, async (api) => api.call('workspaces.members', { workspaceId: await workspaceIdFor(api, values.workspace) }))
      if (asJson) json(members)
      else for (const m of members) out(`${m.name} — ${m.role}${m.status === 'pending' ? ' (pending)' : ''}${m.online ? ', online' : ''}  ${m.userId}`)
      return
    }
    case 'call': {
      const method = positional(positionals, 0, 'METHOD', command)
      let params: unknown = {}
      if (positionals[1] !== undefined) {
        try { params = JSON.parse(positionals[1]) } catch { throw new UsageError('params must be valid JSON', command) }
      }
      json(await withClient(dataDir, (api) => api.callRaw(method, params)))
      return
    }
    case 'events': {
      const api = await connectApi(await readEndpoint(dataDir))
      api.onAny((event, payload) => { out(JSON.stringify({ event, payload })) })
      await new Promise<void>((resolve) => {
        api.onClose(resolve)
        process.once('SIGINT', () => { api.close() })
        process.once('SIGTERM', () => { api.close() })
      })
      return
    }
    default:
      throw new UsageError(`unknown command '${command}'`, 'main')
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    await run(argv)
    return 0
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`enclave: ${err.message}\n\n${USAGE[err.command] ?? USAGE.main ?? ''}\n`)
      return 2
    }
    const code = err instanceof EnclaveError || err instanceof ApiCallError ? err.code : 'internal'
    process.stderr.write(`enclave: ${errorMessage(err)} (${code})\n`)
    return 1
  }
}
