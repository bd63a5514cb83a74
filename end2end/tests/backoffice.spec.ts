import { randomUUID } from 'node:crypto';
import { test, expect, islandReady, MASTERCARD, Page } from './fixtures';
import { PASSWORD, issueRequest, password, payWith, staffAccount, totp } from './operator';

// The operator's staff in the back office, with JavaScript on and off:
// signing in with a password and a one-time code, finding a payment by its
// card's last four, opening it and exporting the filtered list; a wrong
// code and a locked-out account refused with clear messages; a citizen's
// message marked handled in the feedback inbox. Each project
// works on its own server, with accounts the operator's command makes.

test.describe.configure({ mode: 'serial' });

test('staff sign in with a one-time code, find a payment by its last four and export the list', async ({ page, request, isolated, js }, testInfo) => {
  test.setTimeout(90_000);
  const project = testInfo.project.name;
  // A request issued through the agency API, paid with a Mastercard.
  const { code, pay_url } = await issueRequest(request, isolated.url, isolated.databaseUrl, `Бэк-офис e2e ${project}`, 95000);
  await page.goto(pay_url);
  await islandReady(page, js);
  await payWith(page, js, MASTERCARD);

  // A finance clerk signs in: password, then the code of the authenticator.
  const clerk = staffAccount(isolated.databaseUrl, 'finance', project);
  await password(page, isolated.url, clerk.email, PASSWORD);
  await expect(page).toHaveURL(/\/admin\/login\/code$/);
  await expect(page.getByLabel('Одноразовый код')).toHaveAttribute('autocomplete', 'one-time-code');
  await page.getByLabel('Одноразовый код').fill(totp(clerk.secret));
  await page.getByRole('button', { name: 'Войти' }).click();
  await expect(page).toHaveURL(/\/admin\/payments$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Платежи');

  // Found by the card's last four (and the service), opened.
  await page.getByLabel('Последние 4 цифры карты').fill('4444');
  await page.getByLabel('Услуга').selectOption('driving_licence');
  await page.getByRole('button', { name: 'Показать' }).click();
  await expect(page).toHaveURL(/last4=4444/);
  const row = page.locator('tbody tr', { hasText: code });
  await expect(row).toContainText('Mastercard 555555******4444');
  await expect(row).toContainText('Успешен');
  await row.getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('Платёж TLM-');
  await expect(page.locator('.bo-facts')).toContainText('Асанов Бакыт Алмазович');
  await expect(page.locator('.bo-facts')).toContainText('950,00 сом');
  await expect(page.locator('.bo-facts')).toContainText(`Бэк-офис e2e ${project}`);

  // The filtered list exported: a CSV named after its filter, our payment in it.
  await page.goBack();
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Выгрузить в CSV' }).click(),
  ]);
  expect(download.suggestedFilename()).toMatch(/^payments_.*service-driving_licence.*_last4-4444\.csv$/);
  const csv = (await import('node:fs')).readFileSync(await download.path(), 'utf8');
  expect(csv).toContain(code);
  expect(csv).toContain('555555');
  expect(csv).not.toContain('5555555555554444');
});

test('a wrong one-time code and a locked-out account are refused with clear messages', async ({ page, isolated }, testInfo) => {
  const project = testInfo.project.name;
  const viewer = staffAccount(isolated.databaseUrl, 'viewer', project);
  await password(page, isolated.url, viewer.email, PASSWORD);
  await page.getByLabel('Одноразовый код').fill('000000');
  await page.getByRole('button', { name: 'Войти' }).click();
  await expect(page.getByRole('alert')).toContainText('Код неверен или уже использован');

  // Four more failures lock the account; then even the right password is refused.
  for (let n = 0; n < 3; n++) {
    await password(page, isolated.url, viewer.email, 'not the password');
    await expect(page.getByRole('alert')).toContainText('Неверная почта или пароль');
    await expect(page.getByLabel('Электронная почта')).toHaveValue(viewer.email);
    await expect(page.getByLabel('Пароль')).toHaveValue('');
  }
  await password(page, isolated.url, viewer.email, 'not the password');
  await expect(page.getByRole('alert')).toContainText('заблокирована');
  await password(page, isolated.url, viewer.email, PASSWORD);
  await expect(page.getByRole('alert')).toContainText('заблокирована');
  await expect(page).toHaveURL(/\/admin\/login$/);
});

test('support marks a citizen’s message handled with a note', async ({ page, isolated }, testInfo) => {
  const project = testInfo.project.name;
  const text = `Деньги списали дважды, верните (e2e ${project} ${randomUUID().slice(0, 8)})`;
  await page.goto(`${isolated.url}/feedback`);
  await page.getByLabel('Тема', { exact: true }).selectOption({ label: 'Возврат средств' });
  await page.getByLabel('Сообщение', { exact: true }).fill(text);
  await page.getByRole('button', { name: 'Отправить' }).click();
  await expect(page).toHaveURL(/\/feedback\/sent$/);

  const support = staffAccount(isolated.databaseUrl, 'support', project);
  await password(page, isolated.url, support.email, PASSWORD);
  await page.getByLabel('Одноразовый код').fill(totp(support.secret));
  await page.getByRole('button', { name: 'Войти' }).click();
  await page.getByRole('navigation', { name: 'Бэк-офис' }).getByRole('link', { name: 'Обращения' }).click();
  const row = page.locator('tbody tr', { hasText: text });
  await expect(row).toContainText('Открыто');
  await row.getByRole('link', { name: 'Возврат средств' }).click();
  await expect(page.locator('.bo-message')).toHaveText(text);
  await page.getByLabel('Заметка (что сделано)').fill('Второй платёж возвращён');
  await page.getByRole('button', { name: 'Отметить как обработанное' }).click();
  await expect(page.locator('.bo-facts')).toContainText('Обработано');
  await expect(page.locator('.bo-note')).toHaveText('Второй платёж возвращён');
  // No longer among the open messages.
  await page.goto(`${isolated.url}/admin/feedback`);
  await expect(page.locator('tbody tr', { hasText: text })).toHaveCount(0);
});
