import { defineConfig } from '@playwright/test'

// Debian's Chromium (npm test installs it when missing); Playwright's own browser download
// is blocked on our machines.
const executablePath = process.env.ENCLAVE_CHROMIUM ?? '/usr/bin/chromium'

export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '*.spec.ts',
  // Each test starts real nodes in their own processes; two cores cannot run many at once.
  workers: 1,
  fullyParallel: false,
  timeout: 90_000,
  expect: { timeout: 20_000 },
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    viewport: { width: 1100, height: 720 },
    launchOptions: {
      executablePath,
      // Calls: a synthetic camera and microphone, allowed without asking, and sound that plays
      // without a click (as it does after one in the app).
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage',
        '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--autoplay-policy=no-user-gesture-required']
    },
    trace: 'retain-on-failure'
  }
})
