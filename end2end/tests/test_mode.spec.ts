import { test, expect, islandReady } from './fixtures';

// scripts/e2e.sh starts the site with the in-process sandbox, which the
// server accepts only in test mode: every page must then say, in the page's
// language, that no real money is taken.
const BANNER = {
  ru: 'Тестовый режим — деньги не списываются',
  ky: 'Сыноо режими — акча алынбайт',
  en: 'Test mode — no real money is taken',
};

test('the home page and the pay page say that no real money is taken, above the header', async ({ page, codes, js }) => {
  for (const path of ['/', `/pay/${codes.form}`]) {
    await page.goto(path);
    await islandReady(page, js && path.startsWith('/pay/'));
    const banner = page.getByRole('status').filter({ hasText: BANNER.ru });
    await expect(banner, path).toBeVisible();
    // The first thing on the page, so nobody scrolls past it to pay.
    const bannerBox = await banner.boundingBox();
    const headerBox = await page.locator('.site-header').boundingBox();
    expect(bannerBox && headerBox, path).toBeTruthy();
    expect(bannerBox!.y + bannerBox!.height, path).toBeLessThanOrEqual(headerBox!.y + 1);
  }
});

test('the test-mode banner speaks the language of the page', async ({ page, codes }) => {
  await page.goto(`/pay/${codes.form}`);
  await page.getByRole('link', { name: 'English' }).click();
  await expect(page.getByRole('status').filter({ hasText: BANNER.en })).toBeVisible();
  await page.getByRole('link', { name: 'Кыргызча' }).click();
  await expect(page.getByRole('status').filter({ hasText: BANNER.ky })).toBeVisible();
  await expect(page.getByText(BANNER.ru)).toHaveCount(0);
});
