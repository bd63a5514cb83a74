import { defineConfig, devices } from '@playwright/test';

// The server is started by scripts/e2e.sh (fresh SQLite file, sandbox
// processor, demo data) and its address handed over in TOLEM_BASE_URL.
const baseURL = process.env.TOLEM_BASE_URL ?? 'http://127.0.0.1:3000';

// Debian's Chromium: browsers cannot be downloaded on these machines.
const launchOptions = {
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
  ],
};

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  forbidOnly: !!process.env.CI,
  // A failed test leaves its trace (open it with `npx playwright show-trace`)
  // and a screenshot in end2end/test-results, and every run an HTML report
  // in end2end/playwright-report (`npx playwright show-report`).
  reporter: [['list'], ['html', { outputFolder: 'playwright-report', open: 'never' }]],
  outputDir: 'test-results',
  use: { baseURL, trace: 'retain-on-failure', screenshot: 'only-on-failure', launchOptions },
  // Every spec runs twice: with JavaScript (the island checks as you type)
  // and without it (the server answers every post).
  projects: [
    { name: 'js', use: { ...devices['Pixel 7'], locale: 'ru-RU', javaScriptEnabled: true, launchOptions } },
    { name: 'nojs', use: { ...devices['Pixel 7'], locale: 'ru-RU', javaScriptEnabled: false, launchOptions } },
  ],
});
