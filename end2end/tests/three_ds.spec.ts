import { test, expect, fillCard, islandReady, Page, FRICTIONLESS, CHALLENGE, TIMEOUT, LATE_CHARGE } from './fixtures';

async function pay(page: Page, code: string, card: string, js: boolean) {
  await page.goto(`/pay/${code}`);
  await islandReady(page, js);
  await fillCard(page, card);
  await page.getByRole('button', { name: 'Оплатить', exact: true }).click();
}

/** On our page that hands over to the bank: without JavaScript, press Continue. */
async function continueToBank(page: Page, js: boolean) {
  if (!js) {
    await expect(page.getByRole('heading', { name: 'Подтверждение в вашем банке' })).toBeVisible();
    await page.getByRole('button', { name: 'Продолжить' }).click();
  }
  await expect(page).toHaveURL(/\/sandbox\/acs\/[^/]+$/);
}

/** On the bank's page after answering: without JavaScript, press Continue. */
async function continueBack(page: Page, js: boolean) {
  if (!js) await page.getByRole('button', { name: /Continue/ }).click();
}

test('3-D Secure without a challenge goes straight to the receipt', async ({ page, codes, js }) => {
  await pay(page, codes.frictionless, FRICTIONLESS, js);
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  await expect(page.getByText('Оплата прошла успешно')).toBeVisible();
});

test('a 3-D Secure challenge passed at the bank ends on the receipt', async ({ page, codes, js }) => {
  await pay(page, codes.challenge, CHALLENGE, js);
  await continueToBank(page, js);
  const note = await page.locator('.note').innerText();
  const code = note.match(/\d{6}/)?.[0] ?? '';
  expect(code).toHaveLength(6);
  await page.getByLabel(/One-time code/).fill(code);
  await page.getByRole('button', { name: /Confirm/ }).click();
  await continueBack(page, js);
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  await expect(page.getByText('Оплата прошла успешно')).toBeVisible();
  await expect(page.locator('.receipt')).toContainText('400000******3220');
});

test('a cancelled 3-D Secure challenge is declined and can be paid again', async ({ page, codes, js }) => {
  await pay(page, codes.cancel, CHALLENGE, js);
  await continueToBank(page, js);
  await page.getByRole('button', { name: /Cancel/ }).click();
  await continueBack(page, js);
  await expect(page).toHaveURL(/\/payment\/[0-9a-f]{32}$/);
  await expect(page.getByRole('alert')).toContainText('Банк не подтвердил платёж');
  await page.getByRole('link', { name: 'Оплатить снова' }).click();
  await expect(page).toHaveURL(new RegExp(`/pay/${codes.cancel}$`));
  await expect(page.getByLabel(/Номер карты/)).toBeVisible();
});

test('an answer that does not come shows a confirming page that ends on the receipt', async ({ page, codes, js }) => {
  await pay(page, codes.confirming, TIMEOUT, js);
  await expect(page).toHaveURL(/\/payment\/[0-9a-f]{32}$/);
  await expect(page.getByRole('heading', { name: 'Подтверждаем ваш платёж' })).toBeVisible();
  await expect(page.locator('meta[http-equiv="refresh"]')).toHaveCount(1);
  // The page refreshes itself (no JavaScript needed) until the answer is in.
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/, { timeout: 20_000 });
  await expect(page.getByText('Оплата прошла успешно')).toBeVisible();
});

test('a charge the acquirer records late ends on the receipt, never on "nothing charged"', async ({ page, codes, js }) => {
  await pay(page, codes.lateCharge, LATE_CHARGE, js);
  await expect(page).toHaveURL(/\/payment\/[0-9a-f]{32}$/);
  await expect(page.getByRole('heading', { name: 'Подтверждаем ваш платёж' })).toBeVisible();
  // The acquirer answers "no such order" for its first seconds: the page
  // keeps confirming until the charge is recorded, then shows the receipt.
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/, { timeout: 30_000 });
  await expect(page.getByText('Оплата прошла успешно')).toBeVisible();
});
