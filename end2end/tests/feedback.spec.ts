import { test, expect, Page } from './fixtures';

// On the project's own server: every message counts against the limit of
// five an hour from one address, and all tests come from 127.0.0.1.
test.describe.configure({ mode: 'serial' });

/** Sends the form and answers the status of the post. */
async function send(page: Page): Promise<number | undefined> {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/feedback'),
    page.getByRole('button', { name: 'Отправить' }).click(),
  ]);
  return response.status();
}

test('a message is sent and thanked for', async ({ page, isolated }) => {
  await page.goto(`${isolated.url}/feedback`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Обратная связь');
  const topic = page.getByLabel('Тема', { exact: true });
  await expect(topic.locator('option')).toHaveText([
    'Выберите тему', 'Проблема с оплатой', 'Возврат средств', 'Ошибка на сайте', 'Предложение', 'Другое',
  ]);
  await topic.selectOption({ label: 'Проблема с оплатой' });
  await page.getByLabel('Сообщение', { exact: true }).fill('Оплатил код 11202600000001, но статус не изменился.');
  await page.getByLabel('Электронная почта для ответа (необязательно)').fill('aibek@example.kg');
  await page.getByLabel('Номер квитанции (необязательно)').fill('TLM-00000042');
  await page.getByRole('button', { name: 'Отправить' }).click();

  await expect(page).toHaveURL(/\/feedback\/sent$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Сообщение отправлено');
});

test('a message with a card number in it is refused and not shown back', async ({ page, isolated }) => {
  await page.goto(`${isolated.url}/feedback`);
  await page.getByLabel('Тема', { exact: true }).selectOption({ label: 'Возврат средств' });
  await page.getByLabel('Сообщение', { exact: true }).fill('Деньги списали дважды с карты 4111 1111 1111 1111, верните.');
  expect(await send(page)).toBe(422);

  await expect(page).toHaveURL(/\/feedback$/);
  await expect(page.locator('.error-summary')).toContainText('номер банковской карты');
  await expect(page.getByLabel('Сообщение', { exact: true })).toHaveValue('');
  await expect(page.getByLabel('Тема', { exact: true })).toHaveValue('refund');
  await expect(page.locator('body')).not.toContainText('4111');
});

test('a message without a topic or text names what is missing', async ({ page, isolated }) => {
  await page.goto(`${isolated.url}/feedback`);
  await page.getByLabel('Электронная почта для ответа (необязательно)').fill('aibek@example.kg');
  expect(await send(page)).toBe(422);

  const summary = page.locator('.error-summary');
  await expect(summary).toHaveAttribute('role', 'alert');
  await expect(summary.getByRole('link')).toHaveText(['Выберите тему.', 'Напишите сообщение.']);
  await expect(page.getByLabel('Электронная почта для ответа (необязательно)')).toHaveValue('aibek@example.kg');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Обратная связь');
});
