import { test, expect } from './fixtures';
import { signIn, staffAccount } from './operator';

// Agencies in the back office, with JavaScript on and off: an admin adds
// an agency, is shown its key once, sees it live, then revokes it.

test('an admin adds an agency, creates a key shown once and revokes it', async ({ page, isolated }, testInfo) => {
  const project = testInfo.project.name;
  const name = `Ведомство e2e ${project} ${Date.now()}`;
  await signIn(page, isolated.url, staffAccount(isolated.databaseUrl, 'admin', project));
  await page.getByRole('navigation', { name: 'Бэк-офис' }).getByRole('link', { name: 'Ведомства' }).click();
  await page.getByRole('button', { name: 'Добавить ведомство' }).click();
  await expect(page.getByText('Выберите хотя бы одну услугу.')).toBeVisible();
  await page.getByLabel('Название').fill(name);
  await page.getByLabel('Паспорт').check();
  await page.getByRole('button', { name: 'Добавить ведомство' }).click();
  await page.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  const agencyPage = page.url();

  await page.getByLabel('Метка (кто пользуется)').fill('Касса ЦОН');
  await page.getByRole('button', { name: 'Создать ключ' }).click();
  const key = (await page.locator('.bo-once code').textContent()) ?? '';
  expect(key).toMatch(/^tlm_test_/);
  const row = page.locator('tbody tr', { hasText: 'Касса ЦОН' });
  await expect(row).toContainText('действует');
  // Shown once: the agency's page, opened again, does not have it.
  await page.goto(agencyPage);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await expect(page.locator('.bo-once')).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText(key);

  await row.getByRole('button', { name: 'Отозвать' }).click();
  await expect(page.locator('tbody tr', { hasText: 'Касса ЦОН' })).toContainText('отозван');
});
