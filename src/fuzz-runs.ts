/**
 * How many cases each decoder fuzz test runs: a few thousand in `npm test`, and as many as
 * `ENCLAVE_FUZZ_RUNS` says in `npm run fuzz` (100,000 or more).
 */
export function fuzzRuns(inTests: number): number {
  const asked = Number(process.env.ENCLAVE_FUZZ_RUNS)
  return Number.isSafeInteger(asked) && asked > 0 ? asked : inTests
}

/**
 * Cases for a check that costs more than a decoder call, or is no decoder's fuzz (a round trip of
 * valid values): `inTests` in `npm test`, at most `most` in `npm run fuzz`.
 */
export function cappedFuzzRuns(inTests: number, most: number): number {
  return Math.min(fuzzRuns(inTests), Math.max(inTests, most))
}

/** A stream-driven fuzz test's cases: each is a whole exchange over a stream pair, so a few hundred in `npm run fuzz`. */
export function streamFuzzRuns(inTests: number): number {
  return cappedFuzzRuns(inTests, 500)
}
