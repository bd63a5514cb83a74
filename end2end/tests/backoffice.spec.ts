import { randomUUID } from 'node:crypto';
import { test, expect, islandReady, MASTERCARD, Page } from './fixtures';
import { operator, payWith, printed, totp } from './operator';

// The operator's staff in the back office, with JavaScript on and off:
// signing in with a password and a one-time code, finding a payment by its
// card's last four, opening it and exporting the filtered list; a wrong
// code and a locked-out account refused with clear messages; a citizen's
// message marked handled in the feedback inbox. Each project
// works on its own server, with accounts the operator's command makes.

test.describe.configure({ mode: 'serial' });

const PASSWORD = 'correct horse battery staple';

/** A staff account made at the console; answers its email and TOTP secret. */
function staffAccount(databaseUrl: string, role: string, project: string) {
  const email = `${role}-${project}-${randomUUID().slice(0, 8)}@infocom.kg`;
  const output = operator(databaseUrl, ['user', 'add', '--email', email, '--role', role], `${PASSWORD}\n`);
  const uri = printed(output, /^(otpauth:\/\/totp\/\S+)$/m);
  const secret = new URL(uri).searchParams.get('secret');
  if (!secret) throw new Error(`no secret in ${uri}`);
  return { email, secret };
}

async function password(page: Page, base: string, email: string, typed: string) {
  await page.goto(`${base}/admin/login`);
  await page.getByLabel('Электронная почта').fill(email);
  await page.getByLabel('Пароль').fill(typed);
  await page.getByRole('button', { name: 'Продолжить' }).click();
}

test('staff sign in with a one-time code, find a payment by its last four and export the list', async ({ page, request, isolated, js }, testInfo) => {
  test.setTimeout(90_000);
  const project = testInfo.project.name;
  // A request issued through the agency API, paid with a Mastercard.
  const agency = printed(
    operator(isolated.databaseUrl, [
      'agency', 'create', '--name', `Бэк-офис e2e ${project}`, '--services', 'passport,driving_licence,meken_card',
    ]),
    /^agency (agc_\S+)$/m,
  );
  const key = printed(
    operator(isolated.databaseUrl, ['api-key', 'create', '--agency', agency]),
    /^API key \(shown once, only its hash is kept\): (tlm_test_\S+)$/m,
  );
  const issued = await request.post(`${isolated.url}/api/v1/payment-requests`, {
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    data: {
      service: 'driving_licence', applicant_name: 'Асанов Бакыт Алмазович', amount: 95000,
      expires_at: new Date(Date.now() + 24 * 3600_000).toISOString(), reference: `BO-${randomUUID()}`,
    },
  });
  expect(issued.status(), await issued.text()).toBe(201);
  const { code, pay_url } = await issued.json();
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
