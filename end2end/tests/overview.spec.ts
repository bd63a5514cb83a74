import { test, expect } from './fixtures';
import { signIn, staffAccount } from './operator';

// The overview, with JavaScript on and off: its charts are drawn by the
// server (SVG, no script), each named, with the figures in tables.

test('a viewer opens the overview: charts drawn by the server, figures in tables', async ({ page, isolated }, testInfo) => {
  await signIn(page, isolated.url, staffAccount(isolated.databaseUrl, 'viewer', testInfo.project.name));
  await page.getByRole('navigation', { name: 'Бэк-офис' }).getByRole('link', { name: 'Обзор' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Обзор');
  for (const name of ['Успешные платежи по дням', 'Сумма оплат по дням', 'Доля успешных', 'Отказы по причинам', 'Сумма по услугам', 'Сумма по ведомствам']) {
    await expect(page.getByRole('img', { name })).toBeVisible();
  }
  await expect(page.locator('script')).toHaveCount(0);
  // Thirty days by default, one row each.
  const days = page.locator('table').nth(0).locator('tbody tr');
  await expect(days).toHaveCount(30);
  await page.getByLabel('С (дата)').fill('2026-11-25');
  await page.getByLabel('По (дата, включительно)').fill('2026-11-26');
  await page.getByRole('button', { name: 'Показать' }).click();
  await expect(page).toHaveURL(/from=2026-11-25/);
  await expect(days).toHaveCount(2);
  await page.screenshot({ path: testInfo.outputPath('overview.png'), fullPage: true });
});
