import { createInterface } from 'node:readline/promises'
import { UsageError } from './cli-error.js'
import type { ApiClient } from '../api/api-client.js'
import type { LinkRequestView, PeerIdString, WorkspaceId } from '../api/contract.js'

export interface DeviceCommandEnv {
  withClient: <T>(fn: (api: ApiClient) => Promise<T>) => Promise<T>
  out: (line: string) => void
  asJson: boolean
  /** --workspace: an admin removing a member's device names the workspace. */
  workspace: string | undefined
}

/** Asks on stdin (a terminal, or a script's pipe); no answer, or the input ending, is no. */
async function personSays(request: LinkRequestView): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr })
  const ended = new Promise<string>((resolve) => { rl.once('close', () => { resolve('') }) })
  try {
    const answer = await Promise.race([rl.question(`"${request.deviceName}" asks to link to your account. Does it show ${request.sas}? [y/N] `), ended])
    return /^y(es)?$/i.test(answer.trim())
  } finally {
    rl.close()
  }
}

/**
 * `enclave device link-code` on a device already in the account: shows a code, then answers the
 * device that uses it. `enclave device link CODE` on the new device: shows the digits to compare
 * and waits until the other device said yes.
 */
export async function runDeviceCommand(positionals: string[], env: DeviceCommandEnv): Promise<void> {
  const [sub, arg] = positionals
  if (sub === 'link-code') {
    await env.withClient(async (api) => {
      const outcome = new Promise<LinkRequestView>((resolve) => {
        api.on('devices.linkRequest', (request) => {
          if (request.state === 'waiting') {
            void personSays(request).then((yes) => api.call('devices.confirmLink', { requestId: request.requestId, accept: yes })).catch(() => undefined)
            return
          }
          if (request.state !== 'confirmed') resolve(request)
        })
      })
      const { code, expiresAt } = await api.call('devices.linkCode', {})
      if (env.asJson) env.out(JSON.stringify({ code, expiresAt }))
      else env.out(`On the new device, run: enclave device link ${code}\n(works once, until ${new Date(expiresAt).toLocaleTimeString()})`)
      const expired = new Promise<null>((resolve) => { setTimeout(() => { resolve(null) }, Math.max(0, expiresAt - Date.now())).unref() })
      const ended = await Promise.race([outcome, expired])
      if (ended === null) throw new UsageError('the code expired before a device used it', 'device')
      if (env.asJson) env.out(JSON.stringify(ended))
      else env.out(ended.state === 'linked' ? `Linked "${ended.deviceName}" to your account.` : `Not linked (${ended.state}).`)
      if (ended.state !== 'linked') process.exitCode = 1
    })
    return
  }
  if (sub === 'link') {
    if (arg === undefined) throw new UsageError('give the code the other device shows: enclave device link CODE', 'device')
    await env.withClient(async (api) => {
      const { sas } = await api.call('devices.readLinkCode', { code: arg })
      if (!env.asJson) env.out(`Check that your other device shows ${sas}, and confirm there.`)
      const joined = await api.call('devices.link', { code: arg })
      if (env.asJson) env.out(JSON.stringify({ sas, workspaces: joined }, null, 2))
      else env.out(`Linked. This device is now in ${joined.map((w) => `"${w.name}"`).join(', ')}.`)
    })
    return
  }
  if (sub === 'list') {
    await env.withClient(async (api) => {
      const self = (await api.call('node.info', {})).peerId
      const mine = []
      for (const w of await api.call('workspaces.list', {})) {
        const me = (await api.call('workspaces.members', { workspaceId: w.id })).find((m) => m.userId === w.userId)
        mine.push({ workspace: w.name, workspaceId: w.id, devices: me?.devices ?? [] })
      }
      if (env.asJson) { env.out(JSON.stringify(mine, null, 2)); return }
      for (const w of mine) env.out(`${w.workspace}: ${w.devices.map((d) => (d === self ? `${d} (this device)` : d)).join(', ')}`)
    })
    return
  }
  if (sub === 'remove') {
    if (arg === undefined) throw new UsageError('name the device to remove: enclave device remove DEVICE_ID (see enclave device list)', 'device')
    await env.withClient(async (api) => {
      const changed = await api.call('devices.remove', { device: arg as PeerIdString, ...(env.workspace === undefined ? {} : { workspaceId: env.workspace as WorkspaceId }) })
      env.out(env.asJson ? JSON.stringify(changed) : `Removed from ${changed.length} workspace${changed.length === 1 ? '' : 's'}; it can no longer reach your colleagues.`)
    })
    return
  }
  throw new UsageError(sub === undefined ? 'say what to do: link-code, link, list or remove' : `unknown device command '${sub}'`, 'device')
}
