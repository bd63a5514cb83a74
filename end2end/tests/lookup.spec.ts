import { test, expect } from './fixtures';

test('an unknown code is explained', async ({ page }) => {
  await page.goto('/');
  await page.getByLabel('Код платежа').fill('11 9999 9999 9999');
  await page.getByRole('button', { name: 'Найти' }).click();
  await expect(page.getByRole('alert')).toContainText('не найден');
  await expect(page.getByRole('link', { name: 'Оплатить картой' })).toHaveCount(0);
});

test('an already-paid code cannot be paid again', async ({ page }) => {
  await page.goto('/?code=11202600000091');
  await expect(page.locator('.summary')).toContainText('Оплачено');
  await expect(page.getByRole('alert')).toContainText('уже оплачен');
  await page.goto('/pay/11202600000091');
  await expect(page.getByLabel(/Номер карты/)).toHaveCount(0);
});

test('expired and cancelled codes are explained', async ({ page }) => {
  await page.goto('/?code=16202600000092');
  await expect(page.getByRole('alert')).toContainText('истёк');
  await page.goto('/?code=13202600000093');
  await expect(page.getByRole('alert')).toContainText('отменён');
});
