import { test, expect, bishkekDay } from './fixtures';
import { signIn, staffAccount } from './operator';

// An admin publishes a new edition of the user agreement from the back
// office, with JavaScript on and off: the preview shows the text as the
// public page will, and the public page shows the edition and its date
// from its moment on. On a server of its own (scripts/e2e.sh's desk
// servers), where no other spec expects an edition.

test('an admin previews and publishes an edition; its date appears on the public page at its moment', async ({ page, desk: isolated }, testInfo) => {
  test.setTimeout(60_000);
  const project = testInfo.project.name;
  const admin = staffAccount(isolated.databaseUrl, 'admin', project);
  await signIn(page, isolated.url, admin);
  await page.getByRole('navigation', { name: 'Бэк-офис' }).getByRole('link', { name: 'Документы' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Документы');

  const moment = new Date(Date.now() + 12_000);
  const local = new Date(moment.getTime() + 6 * 3600_000).toISOString().slice(0, 19);
  await page.getByLabel('Документ', { exact: true }).selectOption('user-agreement');
  await page.getByLabel('Вступает в силу (время Бишкека)').fill(local);
  await page.getByLabel('Текст в Markdown — Русский').fill(
    '# Пользовательское соглашение\n\nВторая редакция: **квитанции** хранятся пять лет.\n',
  );
  await page.getByRole('button', { name: 'Предпросмотр' }).click();
  const preview = page.getByRole('region', { name: 'Предпросмотр — Русский' });
  await expect(preview.locator('strong')).toHaveText('квитанции');
  await expect(preview.locator('.edition')).toHaveText(`Редакция № 2 от ${bishkekDay(moment)}`);
  // The form kept what was typed; publish it.
  await expect(page.getByLabel('Текст в Markdown — Русский')).toHaveValue(/Вторая редакция/);
  await page.getByRole('button', { name: 'Опубликовать' }).click();
  await expect(page.locator('main').getByRole('status')).toContainText('Опубликована редакция № 2');

  // Not before its moment; then in force, without a restart.
  await page.goto(`${isolated.url}/documents/user-agreement`);
  await expect(page.locator('article .edition')).toHaveText(/Редакция № 1 /);
  expect(Date.now(), 'checked before the moment').toBeLessThan(moment.getTime());
  await expect(async () => {
    await page.goto(`${isolated.url}/documents/user-agreement`);
    await expect(page.locator('article .edition')).toHaveText(`Редакция № 2 от ${bishkekDay(moment)} · действует`, { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await expect(page.locator('article')).toContainText('квитанции хранятся пять лет');
});
