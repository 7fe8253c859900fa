/**
 * Floods and measurements shared by the flood tests and `bench:hostile`: raw streams that declare
 * large frames and send bodies that never end, and a victim process's memory and CPU from /proc.
 */
import { readFile } from 'node:fs/promises'
import { multiaddr } from '@multiformats/multiaddr'
import * as varint from 'uint8-varint'
import type { NetNode } from '../../src/net/libp2p-node.js'
import type { Stream } from '@libp2p/interface'

/** Per attacking id: protocol, streams, declared frame length, body bytes sent (never the whole frame). */
export type FloodPlan = Array<[protocol: string, streams: number, declared: number, body: number]>

export async function rssMb(pid: number | undefined): Promise<number> {
  const status = await readFile(`/proc/${pid ?? 'self'}/status`, 'utf8')
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1]
  if (kb === undefined) throw new Error('no VmRSS in /proc status')
  return Number(kb) / 1024
}

/** CPU seconds (user + system) a process has used so far. */
export async function cpuSeconds(pid: number | undefined): Promise<number> {
  const stat = await readFile(`/proc/${pid ?? 'self'}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces) start at ") "; utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Writes a length prefix, then body bytes in 64 KiB writes as fast as the victim takes them; stops when refused. */
export async function pump(stream: Stream, declared: number, body: number): Promise<void> {
  const chunk = new Uint8Array(64 * 1024).fill(0xa5)
  try {
    stream.send(varint.encode(declared))
    for (let sent = 0; sent < body; sent += chunk.byteLength) {
      if (stream.writeStatus !== 'writable') return
      if (!stream.send(chunk.subarray(0, Math.min(chunk.byteLength, body - sent)))) await stream.onDrain({ signal: AbortSignal.timeout(5_000) })
    }
  } catch {
    // Refused or reset: what the victim does about it is what the caller measures.
  }
}

/** Opens every stream of `plan` from `node` to `address` at once and pumps each. */
export async function flood(node: NetNode, address: string, plan: FloodPlan): Promise<void> {
  const target = multiaddr(address)
  await Promise.all(plan.flatMap(([protocol, streams, declared, body]) => Array.from({ length: streams }, async () => {
    try {
      await pump(await node.dialProtocol(target, protocol, { signal: AbortSignal.timeout(5_000) }), declared, body)
    } catch {
      // Turned away at the door, or the stream refused before it opened.
    }
  })))
}

/** Samples a process's RSS every 100 ms while `during` runs; returns idle (before) and peak. */
export async function measured(pid: number | undefined, during: () => Promise<void>): Promise<{ idle: number; peak: number }> {
  const idle = Math.min(await rssMb(pid), await rssMb(pid))
  let peak = idle
  const sampler = setInterval(() => { rssMb(pid).then((mb) => { peak = Math.max(peak, mb) }, () => undefined) }, 100)
  try {
    await during()
    peak = Math.max(peak, await rssMb(pid))
  } finally {
    clearInterval(sampler)
  }
  return { idle, peak }
}
