import { test, expect, islandReady } from './fixtures';
import { issueRequest, payWith, signIn, staffAccount } from './operator';

// Refunds in the back office, with JavaScript on and off: a finance clerk
// returns part of a payment from its page and the citizen's receipt shows
// it; a support clerk is shown no refund form, and a refund posted anyway
// is refused. Each project works on its own server.

test.describe.configure({ mode: 'serial' });

test('finance refunds part of a payment, the receipt shows it, support may not', async ({ page, request, isolated, js }, testInfo) => {
  test.setTimeout(90_000);
  const project = testInfo.project.name;
  const { code, pay_url } = await issueRequest(request, isolated.url, isolated.databaseUrl, `Возвраты e2e ${project}`, 120000);
  await page.goto(pay_url);
  await islandReady(page, js);
  await payWith(page, js);
  await expect(page).toHaveURL(/\/receipt\//);
  const receipt = page.url();

  // The clerk finds the payment and returns 300 of its 1 200 som.
  const clerk = staffAccount(isolated.databaseUrl, 'finance', project);
  await signIn(page, isolated.url, clerk);
  await page.getByLabel('Код платежа').fill(code);
  await page.getByRole('button', { name: 'Показать' }).click();
  await page.locator('tbody tr', { hasText: code }).getByRole('link').click();
  const payment = page.url();
  await expect(page.getByText('Можно вернуть')).toContainText('1 200,00 сом');
  // Too much is refused with the form kept as typed.
  await page.getByLabel(/^Сумма, сом/).fill('5000');
  await page.getByLabel(/^Причина/).fill('Оплатил дважды');
  await page.getByRole('button', { name: 'Вернуть' }).click();
  await expect(page.getByText('Это больше, чем осталось вернуть по этому платежу.')).toBeVisible();
  await expect(page.getByLabel(/^Причина/)).toHaveValue('Оплатил дважды');
  await page.getByLabel(/^Сумма, сом/).fill('300');
  await page.getByRole('button', { name: 'Вернуть' }).click();
  await expect(page).toHaveURL(payment);
  const line = page.locator('tbody tr', { hasText: 'Оплатил дважды' });
  await expect(line).toContainText('300,00 сом');
  await expect(page.getByText('Можно вернуть')).toContainText('900,00 сом');

  // The citizen's receipt says the money is on its way or back.
  await page.goto(receipt);
  await expect(page.getByRole('heading', { name: 'Возвраты' })).toBeVisible();
  await expect(async () => {
    await page.reload();
    await expect(page.locator('.refunds')).toContainText('Возвращено на вашу карту', { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.locator('.refunds')).toContainText('300,00 сом');

  // Support reads the payment but has no form, and a refund posted anyway is refused.
  await page.goto(payment);
  await page.getByRole('button', { name: 'Выйти' }).click();
  await signIn(page, isolated.url, staffAccount(isolated.databaseUrl, 'support', project));
  await page.goto(payment);
  await expect(page.getByRole('heading', { name: 'Возвраты' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Вернуть' })).toHaveCount(0);
  const csrf = await page.locator('input[name="csrf"]').first().getAttribute('value');
  const refused = await page.request.post(`${payment}/refunds`, {
    form: { csrf: csrf ?? '', amount: '100', note: 'Не положено' },
    maxRedirects: 0,
  });
  expect(refused.status()).toBe(403);
});
