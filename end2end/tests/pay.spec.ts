import { test, expect, fillCard, islandReady, APPROVED, DECLINED, BAD_LUHN } from './fixtures';

test('pay a code with the approved card and see the receipt', async ({ page, codes, js }) => {
  await page.goto('/');
  await page.getByLabel('Код платежа').fill(codes.approve);
  await page.getByRole('button', { name: 'Найти' }).click();
  await expect(page.locator('.summary')).toContainText('Ожидает оплаты');
  await page.getByRole('link', { name: 'Оплатить картой' }).click();
  await expect(page).toHaveURL(new RegExp(`/pay/${codes.approve}$`));
  await islandReady(page, js);

  await fillCard(page, APPROVED);
  await page.getByRole('button', { name: 'Оплатить', exact: true }).click();

  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  await expect(page.getByText('Оплата прошла успешно')).toBeVisible();
  await expect(page.locator('.receipt')).toContainText('Visa 411111******1111');
  await expect(page.locator('.receipt')).toContainText(codes.approve);
  await expect(page.locator('body')).not.toContainText('4111111111111111');

  // The code is paid now: looking it up says so and offers no Pay button.
  await page.goto(`/?code=${codes.approve}`);
  await expect(page.getByRole('alert')).toContainText('уже оплачен');
  await expect(page.getByRole('link', { name: 'Оплатить картой' })).toHaveCount(0);
});

test('a declined card, then a retry with a good one', async ({ page, codes, js }) => {
  await page.goto(`/pay/${codes.retry}`);
  await islandReady(page, js);
  await fillCard(page, DECLINED, '482');
  await page.getByRole('button', { name: 'Оплатить', exact: true }).click();

  await expect(page.locator('.notice')).toContainText('Банк отклонил платёж');
  // A form whose checks pass is posted by the browser itself, with or
  // without script: the page the server sends back never holds the number,
  // only its brand and last four, and never the CVV.
  await expect(page.getByLabel(/Номер карты/)).toHaveValue('');
  await expect(page.locator('.number-again')).toContainText('(Visa •••• 0002)');
  await expect(page.getByLabel(/Код безопасности/)).toHaveValue('');
  await islandReady(page, js);

  await page.getByLabel(/Номер карты/).fill(APPROVED);
  await page.getByLabel(/Код безопасности/).fill('739');
  await page.getByRole('button', { name: 'Оплатить', exact: true }).click();
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  await expect(page.getByText('Оплата прошла успешно')).toBeVisible();
});

test('a Luhn error is caught before anything is charged', async ({ page, codes, js }) => {
  const posts: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(request.url());
  });
  await page.goto(`/pay/${codes.form}`);
  await islandReady(page, js);
  await fillCard(page, BAD_LUHN, '915');

  if (js) {
    // Checked in the browser as the citizen leaves the field.
    await page.getByLabel(/Номер карты/).blur();
    await expect(page.locator('#card-number-error')).toContainText('Номер карты введён с ошибкой');
    await page.getByRole('button', { name: 'Оплатить', exact: true }).click();
    await expect(page.locator('.error-summary')).toBeVisible();
    await expect(page.locator('.error-summary')).toBeFocused();
    await expect(page).toHaveURL(new RegExp(`/pay/${codes.form}$`));
    expect(posts, 'no request while a check fails').toEqual([]);
  } else {
    // Checked by the server, which answers with the same page and messages.
    await page.getByRole('button', { name: 'Оплатить', exact: true }).click();
    await expect(page.locator('.error-summary')).toContainText('Номер карты введён с ошибкой');
    expect(posts.length).toBe(1);
  }
  await expect(page.getByLabel(/Номер карты/)).toHaveValue(js ? BAD_LUHN : '');
  if (!js) await expect(page.locator('.number-again')).toContainText('•••• 1112');
  await expect(page.getByLabel(/Имя и фамилия на карте/)).toHaveValue('Aibek Asanov');
  if (!js) await expect(page.getByLabel(/Код безопасности/)).toHaveValue('');
  // The error summary links to the field it describes.
  await expect(page.locator('.error-summary a[href="#card-number"]')).toHaveCount(1);
});

test('the card brand and number grouping follow the typing', async ({ page, codes, js }) => {
  test.skip(!js, 'brand detection while typing needs JavaScript; the server checks the brand on submit');
  await page.goto(`/pay/${codes.form}`);
  await islandReady(page, js);
  const number = page.getByLabel(/Номер карты/);
  await number.pressSequentially('5555555555554444');
  await expect(number).toHaveValue('5555 5555 5555 4444');
  await expect(page.locator('.brand')).toContainText('Mastercard');
});
