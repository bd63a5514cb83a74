import { readFileSync } from 'node:fs';
import { devices, type Browser, type BrowserContext } from '@playwright/test';
import { test, expect, fillCard, islandReady, payButton, Page, APPROVED } from './fixtures';

// axe-core checks every kind of citizen page, in each language, with
// JavaScript on and off (the two projects): WCAG 2.0, 2.1 and 2.2, levels A
// and AA, contrast and target sizes included. No violation is allowed.
//
// axe is evaluated in the page by Playwright, which the site's CSP (a
// nonce per response, no eval) would refuse: this spec's pages bypass it.
test.use({ bypassCSP: true });

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const LANGUAGES = ['ru', 'ky', 'en'] as const;
/** Codes of this spec alone (a receipt to look at), one per project. */
const RECEIPT_CODE = { js: '13202600000005', nojs: '13202600000006' } as const;

type Violation = { id: string; impact: string; help: string; nodes: { target: string[] }[] };

/** axe's violations on `page`, one line each. */
async function violations(page: Page, js: boolean, browser: Browser): Promise<string[]> {
  // With JavaScript off the page runs no timer, and axe waits on timers:
  // the page's DOM as the server sent it, scripts left out, is checked in
  // a page of its own that runs only axe, at the same address (so with the
  // same stylesheet) and on the same phone. (A new context takes the
  // project's options, JavaScript off included, unless told otherwise.)
  let checked = page;
  let own: BrowserContext | undefined;
  if (!js) {
    const url = page.url();
    const html = (await page.content()).replace(/<script\b[\s\S]*?<\/script>/gi, '');
    own = await browser.newContext({ ...devices['Pixel 7'], javaScriptEnabled: true, bypassCSP: true });
    checked = await own.newPage();
    await checked.route((u) => u.href === url, (route) =>
      route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html }));
    await checked.goto(url);
  }
  try {
    await checked.evaluate(AXE);
    const found: Violation[] = await checked.evaluate(async () => {
      // @ts-expect-error axe is the global it just defined
      const result = await window.axe.run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] },
        resultTypes: ['violations'],
      });
      return result.violations;
    });
    return found.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  } finally {
    await own?.close();
  }
}

async function setLanguage(page: Page, baseURL: string, language: string) {
  await page.context().addCookies([{ name: 'lang', value: language, url: baseURL }]);
}

/** Pays this project's own code; the receipt's path. */
async function receipt(page: Page, js: boolean, code: string): Promise<string> {
  await page.goto(`/pay/${code}`);
  await islandReady(page, js);
  await fillCard(page, APPROVED);
  await payButton(page).click();
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  return new URL(page.url()).pathname;
}

/** Pages of every kind but the receipt (its own test pays for one). */
const PAGES = (form: string): [string, string][] => [
  ['home', '/'],
  ['lookup result', `/?code=${form}`],
  ['lookup of an unknown code', '/?code=11202699999999'],
  ['lookup of a malformed code', '/?code=12ab'],
  ['pay form', `/pay/${form}`],
  ['documents', '/documents'],
  ['privacy policy', '/documents/privacy-policy'],
  ['contacts', '/contacts'],
  ['feedback', '/feedback'],
  ['find a receipt', '/find-receipt'],
  ['verify a receipt', '/verify'],
  ['a receipt code that is not valid', '/verify/00000001-AAAAA-AAAAA'],
  ['not found', '/no-such-page'],
];

/** Opens each page in `language` and gathers what axe finds. */
async function check(page: Page, js: boolean, browser: Browser, baseURL: string, language: string,
  pages: [string, string][]): Promise<string[]> {
  await setLanguage(page, baseURL, language);
  const failures: string[] = [];
  for (const [name, path] of pages) {
    await page.goto(path);
    await expect(page.locator('html')).toHaveAttribute('lang', language);
    for (const v of await violations(page, js, browser)) failures.push(`${language} ${name} ${path}: ${v}`);
  }
  return failures;
}

for (const language of LANGUAGES) {
  test(`every kind of page passes axe in ${language}`, async ({ page, js, codes, baseURL, browser }) => {
    test.slow();
    expect(await check(page, js, browser, baseURL!, language, PAGES(codes.form))).toEqual([]);
  });
}

test('a receipt passes axe in every language', async ({ page, js, baseURL, browser }, info) => {
  test.slow();
  const paid = await receipt(page, js, RECEIPT_CODE[info.project.name as keyof typeof RECEIPT_CODE]);
  const failures: string[] = [];
  for (const language of LANGUAGES) {
    failures.push(...(await check(page, js, browser, baseURL!, language, [['receipt', paid]])));
  }
  expect(failures).toEqual([]);
});

test('a form with errors passes axe and ties each error to its field', async ({ page, js, codes, baseURL, browser }) => {
  for (const language of LANGUAGES) {
    await setLanguage(page, baseURL!, language);
    await page.goto(`/pay/${codes.form}`);
    await islandReady(page, js);
    // Fields by name (the labels are in the page's language): a card
    // number that fails its check and an expiry in the past.
    const fields = { cardholder: 'Aibek Asanov', number: '4111 1111 1111 1112', exp_month: '12', exp_year: '2020', cvv: '739' };
    for (const [name, value] of Object.entries(fields)) await page.locator(`input[name="${name}"]`).fill(value);
    await page.locator('form.card-form button[type="submit"]').click();
    const invalid = page.locator('[aria-invalid="true"]');
    await expect(invalid.first()).toBeVisible();
    // The summary of errors takes focus, so it is read out first.
    await expect(page.locator('.error-summary')).toBeFocused();
    for (const field of await invalid.all()) {
      const described = await field.getAttribute('aria-describedby');
      expect(described, 'an invalid field names its message').toBeTruthy();
      for (const id of described!.split(/\s+/)) {
        await expect(page.locator(`[id="${id}"]`)).not.toBeEmpty();
      }
    }
    expect(await violations(page, js, browser), `${language}: the form with errors`).toEqual([]);
  }
});
