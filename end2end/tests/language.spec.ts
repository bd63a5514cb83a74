import { test, expect } from './fixtures';

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
  await expect(page.locator('.edition')).toHaveText('Редакция от 25.11.2026');
  await expect(page.locator('article')).toContainText('шестнадцатизначный номер банковской карты');
});
