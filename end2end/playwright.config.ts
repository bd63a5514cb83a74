import { defineConfig, devices } from '@playwright/test';

// The server is started by scripts/e2e.sh (fresh SQLite file, sandbox
// processor, demo data) and its address handed over in TOLEM_BASE_URL; or
// QA sets TOLEM_BASE_URL to a deployed site (see end2end/README.md).
const baseURL = process.env.TOLEM_BASE_URL ?? 'http://127.0.0.1:3000';
// The desktop and phone projects pay the same demo codes as `js`, each on a
// server of its own when scripts/e2e.sh starts one.
const desktopURL = process.env.TOLEM_DESKTOP_URL ?? baseURL;
const phoneURL = process.env.TOLEM_PHONE_URL ?? baseURL;
// What a citizen does, on every screen: find a code, pay it, 3-D Secure,
// the receipt, the documents, the languages and the page's frame.
const citizenSpecs = /(lookup|pay|three_ds|layout|language|documents)\.spec\.ts$/;

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
  // Every spec runs twice on a current phone: with JavaScript (the island
  // checks as you type) and without it (the server answers every post). The
  // citizen's specs run again on a desktop browser and on a small, cheap
  // phone's 360 px screen.
  projects: [
    { name: 'js', use: { ...devices['Pixel 7'], locale: 'ru-RU', javaScriptEnabled: true, launchOptions } },
    { name: 'nojs', use: { ...devices['Pixel 7'], locale: 'ru-RU', javaScriptEnabled: false, launchOptions } },
    {
      name: 'desktop',
      testMatch: citizenSpecs,
      use: { ...devices['Desktop Chrome'], baseURL: desktopURL, locale: 'ru-RU', javaScriptEnabled: true, launchOptions },
    },
    {
      name: 'phone-360',
      testMatch: citizenSpecs,
      use: {
        viewport: { width: 360, height: 740 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        userAgent: devices['Galaxy S8'].userAgent,
        baseURL: phoneURL,
        locale: 'ru-RU',
        javaScriptEnabled: true,
        launchOptions,
      },
    },
  ],
});
