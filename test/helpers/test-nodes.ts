import { after } from 'node:test'
import { makeDataDir, removeDataDir, startNode, type NodeProcess } from './node-process.js'

/**
 * Nodes and data folders a test file starts and makes, stopped and removed when the file ends
 * (whatever its tests did with them). `stop` and `kill` end one early, as a test of loss does.
 */
export function testNodes(): {
  start: (dir: string, peers?: string[]) => Promise<NodeProcess>
  stop: (node: NodeProcess, how?: 'stop' | 'kill') => Promise<void>
  dir: (name: string) => Promise<string>
} {
  const dirs: string[] = []
  const running = new Set<NodeProcess>()
  after(async () => {
    await Promise.all([...running].map((n) => n.stop()))
    await Promise.all(dirs.map(removeDataDir))
  })
  return {
    start: async (dir, peers = []) => {
      const node = await startNode(dir, { peers })
      running.add(node)
      return node
    },
    stop: async (node, how = 'stop') => {
      running.delete(node)
      await node[how]()
    },
    dir: async (name) => {
      const d = await makeDataDir(name)
      dirs.push(d)
      return d
    }
  }
}
