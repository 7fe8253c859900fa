/**
 * How many cases each decoder fuzz test runs: a few thousand in `npm test`, and as many as
 * `ENCLAVE_FUZZ_RUNS` says in `npm run fuzz` (100,000 or more).
 */
export function fuzzRuns(inTests: number): number {
  const asked = Number(process.env.ENCLAVE_FUZZ_RUNS)
  return Number.isSafeInteger(asked) && asked > 0 ? asked : inTests
}

/** Most cases a stream-driven fuzz test runs in `npm run fuzz`: each is a whole exchange over a stream pair. */
const MAX_STREAM_RUNS = 500

/** How many cases a stream-driven fuzz test runs: `inTests` in `npm test`, a few hundred in `npm run fuzz`. */
export function streamFuzzRuns(inTests: number): number {
  return Math.min(fuzzRuns(inTests), Math.max(inTests, MAX_STREAM_RUNS))
}
