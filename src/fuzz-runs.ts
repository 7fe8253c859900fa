/**
 * How many cases each decoder fuzz test runs: a few thousand in `npm test`, and as many as
 * `ENCLAVE_FUZZ_RUNS` says in `npm run fuzz` (100,000 or more).
 */
export function fuzzRuns(inTests: number): number {
  const asked = Number(process.env.ENCLAVE_FUZZ_RUNS)
  return Number.isSafeInteger(asked) && asked > 0 ? asked : inTests
}
