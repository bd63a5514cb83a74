import { test, expect, islandReady } from './fixtures';
import { issueRequest, payWith } from './operator';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

// The payment page runs only the release's scripts (PCI DSS 6.4.3), in a
// real browser: the island starts from the module and WebAssembly pinned
// by the manifest, with no integrity or policy error; a module or
// WebAssembly changed on the way is refused by the browser, and the form
// still pays without it. `server check-page` finds the live page as
// released. Each project works on its own server.

const MANIFEST = join(__dirname, '..', '..', 'target', 'site', 'payment-page.json');

function checkPage(url: string): string {
  return execFileSync(process.env.TOLEM_SERVER_BIN!, ['check-page', url, '--manifest', MANIFEST]).toString();
}

test('the payment page runs the release\'s scripts, as the check finds it', async ({ page, request, isolated, js }, testInfo) => {
  const { pay_url } = await issueRequest(request, isolated.url, isolated.databaseUrl, `Целостность e2e ${testInfo.project.name}`, 10000);
  const errors: string[] = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
  await page.goto(pay_url);
  await islandReady(page, js);
  // Nothing is preloaded (it would hold back the first paint): the import
  // map pins the module, the loader the WebAssembly, the link the stylesheet.
  await expect(page.locator('link[rel="modulepreload"], link[rel="preload"]')).toHaveCount(0);
  const pinned = await page.locator('link[rel="stylesheet"]')
    .evaluateAll((links) => links.map((l) => l.getAttribute('integrity') ?? ''));
  expect(pinned.length).toBe(1);
  for (const integrity of pinned) expect(integrity).toMatch(/^sha384-[A-Za-z0-9+/]{64}$/);
  const importMap = await page.locator('script[type="importmap"]').textContent();
  expect(importMap).toMatch(/"\/pkg\/tolem\.[0-9a-f]{16}\.js":"sha384-[A-Za-z0-9+/]{64}"/);
  expect(errors).toEqual([]);
  // execFileSync throws on a non-zero exit: 0 is "unchanged".
  expect(checkPage(pay_url)).toContain('unchanged');
  await payWith(page, js);
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
});

// Pages name the release's copies under content-hashed names (tolem.<hash>.js).
for (const [file, glob] of [['tolem.js', 'tolem.*.js'], ['tolem.wasm', 'tolem.*.wasm']]) {
  test(`a ${file} changed on the way is refused, and the form still pays`, async ({ page, request, isolated, js }, testInfo) => {
    test.skip(!js, 'without JavaScript no script is fetched to change');
    const { pay_url } = await issueRequest(request, isolated.url, isolated.databaseUrl, `Подмена ${file} ${testInfo.project.name}`, 10000);
    const errors: string[] = [];
    page.on('console', (message) => { if (message.type() === 'error') errors.push(message.text()); });
    await page.route(`**/pkg/${glob}`, async (route) => {
      const response = await route.fetch();
      const body = Buffer.concat([await response.body(), Buffer.from('\n')]);
      await route.fulfill({ response, body });
    });
    await page.goto(pay_url);
    await expect.poll(() => errors.join('\n'), { timeout: 10_000 }).toMatch(/integrity/i);
    await expect(page.locator('leptos-island[data-ready="true"] form.card-form')).toHaveCount(0);
    // The island never started: the form posts as it does without JavaScript.
    await payWith(page, false);
    await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  });
}

test('the form pays before the WebAssembly arrives', async ({ page, request, isolated, js }, testInfo) => {
  test.skip(!js, 'without JavaScript there is no WebAssembly to wait for');
  const { pay_url } = await issueRequest(request, isolated.url, isolated.databaseUrl, `Без ожидания ${testInfo.project.name}`, 10000);
  // A slow network: the WebAssembly never comes while the citizen types.
  let release = () => {};
  const held = new Promise<void>((resolve) => { release = resolve; });
  await page.route('**/pkg/tolem.*.wasm', async (route) => { await held; await route.continue().catch(() => {}); });
  await page.goto(pay_url);
  await expect(page.locator('leptos-island[data-ready="true"] form.card-form')).toHaveCount(0);
  await payWith(page, false);
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  release();
});
