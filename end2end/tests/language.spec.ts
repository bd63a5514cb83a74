import { test, expect, fillCard, islandReady, payButton, Page, APPROVED } from './fixtures';

test('the language switch keeps the citizen on the same page', async ({ page, codes }) => {
  await page.goto(`/?code=${codes.form}`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'ru');

  await page.getByRole('link', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page).toHaveURL(new RegExp(`/\\?code=${codes.form}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Pay by payment code');
  await expect(page.locator('.summary')).toContainText('Awaiting payment');

  await page.getByRole('link', { name: 'Кыргызча' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ky');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Төлөм коду боюнча төлөө');

  // The choice is remembered on the next page.
  await page.goto(`/pay/${codes.form}`);
  await expect(page.locator('html')).toHaveAttribute('lang', 'ky');
  await expect(page.getByLabel(/Картанын номери/)).toBeVisible();

  await page.getByRole('link', { name: 'Русский' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ru');
});

test('the privacy policy shows the edition in force', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('contentinfo').getByRole('link', { name: 'Политика конфиденциальности' }).click();
  await expect(page).toHaveURL(/\/documents\/privacy-policy$/);
  await expect(page.locator('article .edition')).toContainText('Редакция № 1 от 25.11.2026');
  await expect(page.locator('article')).toContainText('шестнадцатизначный номер банковской карты');
});

test('every kind of page switches language and stays where it is', async ({ page, codes, js }) => {
  test.slow();
  // A receipt to switch on: pay a code first.
  await page.goto(`/pay/${codes.languages}`);
  await islandReady(page, js);
  await fillCard(page, APPROVED);
  await payButton(page).click();
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  const receipt = new URL(page.url()).pathname;

  const h1 = (text: string) => (p: Page) => expect(p.getByRole('heading', { level: 1 })).toHaveText(text);
  const pages: [string, (p: Page) => Promise<void>][] = [
    ['/', h1('Pay by payment code')],
    [`/?code=${codes.form}`, (p) => expect(p.locator('.summary')).toContainText('Awaiting payment')],
    [`/pay/${codes.form}`, h1('Pay by card')],
    [receipt, (p) => expect(p.getByText('Payment successful')).toBeVisible()],
    ['/documents', h1('Documents')],
    ['/documents/privacy-policy', (p) => expect(p.locator('article')).toContainText('This is a translation')],
    ['/documents/privacy-policy/editions', (p) => expect(p.getByRole('main').getByRole('heading')).toHaveText(['Privacy Policy', 'All editions'])],
    ['/documents/user-agreement/editions/1', (p) => expect(p.locator('article .edition')).toHaveText('Edition 1 of 25.11.2026 · in force')],
    ['/contacts', h1('Contacts')],
    ['/feedback', h1('Feedback')],
    ['/feedback/sent', h1('Message sent')],
    ['/no-such-page', h1('Page not found')],
  ];
  const language = page.getByRole('banner').getByRole('navigation');
  const here = () => { const url = new URL(page.url()); return url.pathname + url.search; };
  for (const [path, inEnglish] of pages) {
    await page.goto(path);
    await expect(page.locator('html'), path).toHaveAttribute('lang', 'ru');

    await language.getByRole('link', { name: 'English' }).click();
    await expect(page.locator('html'), path).toHaveAttribute('lang', 'en');
    expect(here()).toBe(path);
    await inEnglish(page);

    await language.getByRole('link', { name: 'Русский' }).click();
    await expect(page.locator('html'), path).toHaveAttribute('lang', 'ru');
    expect(here()).toBe(path);
  }
});
