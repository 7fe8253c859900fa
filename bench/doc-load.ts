/**
 * Loads one doc from a data folder's store in a process of its own, for bench:docs's cold loads
 * (a fresh process: nothing decoded, nothing compiled, nothing cached but what the OS kept).
 * Prints `{ loadMs, heapMb, shapes }` as one JSON line. Run with --expose-gc for the heap figure.
 *
 * Usage: node doc-load.js DATA_DIR DOC_ID
 */
import { createDocStore } from '../src/docs/doc-store.js'
import { nodeDataKey, openNodeStore } from './node-store.js'

const [dataDir, docId] = process.argv.slice(2)
if (dataDir === undefined || docId === undefined) throw new Error('usage: doc-load.js DATA_DIR DOC_ID')
const heap = (): number => { globalThis.gc?.(); return process.memoryUsage().heapUsed }

const key = await nodeDataKey(dataDir)
const before = heap()
const t0 = performance.now()
const store = await openNodeStore(dataDir, key)
const doc = await (await createDocStore(store)).load(docId)
const loadMs = performance.now() - t0
const heapMb = (heap() - before) / 1048576
const shapes = doc.getMap('shapes').size
await store.close()
process.stdout.write(JSON.stringify({ loadMs, heapMb, shapes }) + '\n')
