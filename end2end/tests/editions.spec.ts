import {
  test, expect, fillCard, islandReady, payButton, publishEdition, publishedNumber, bishkekDay, APPROVED,
} from './fixtures';

// These tests publish editions on the project's own server, in this order:
// each edition must take effect no earlier than the one before it, and the
// tests after the first build on the editions it published.
test.describe.configure({ mode: 'serial' });

const EDITOR = 'Юрист ГП «Инфоком»';

/** The privacy policy's editions published here: number and effective moment. */
const published: { edition: number; effectiveFrom: string }[] = [];
const latest = () => published[published.length - 1];

test('a scheduled edition takes effect at its moment, without a restart', async ({ page, isolated }) => {
  const effectiveFrom = new Date(Date.now() + 6_000).toISOString();
  const edition = publishedNumber(publishEdition({
    databaseUrl: isolated.databaseUrl,
    document: 'privacy-policy',
    language: 'ru',
    effectiveFrom,
    publishedBy: EDITOR,
    markdown: '# ПОЛИТИКА конфиденциальности\n\nВторая редакция: сроки хранения квитанций уточнены.\n',
  }));
  expect(edition).toBe(2);
  published.push({ edition, effectiveFrom });
  const day = bishkekDay(effectiveFrom);

  // Before its moment the edition is invisible.
  await page.goto(`${isolated.url}/documents/privacy-policy`);
  await expect(page.locator('article .edition')).toHaveText('Редакция № 1 от 25.11.2026 · действует');
  const early = await page.goto(`${isolated.url}/documents/privacy-policy/editions/2`);
  expect(early?.status()).toBe(404);
  expect(Date.now(), 'the checks above ran before the edition\'s moment').toBeLessThan(Date.parse(effectiveFrom));

  // Then it is in force: the server was not restarted.
  await expect(async () => {
    await page.goto(`${isolated.url}/documents/privacy-policy`);
    await expect(page.locator('article .edition')).toHaveText(`Редакция № 2 от ${day} · действует`, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
  await expect(page.locator('article')).toContainText('Вторая редакция: сроки хранения квитанций уточнены.');
  await expect(page.getByRole('contentinfo').locator('ul.documents .edition').first()).toHaveText(`Редакция от ${day}`);

  await page.getByRole('link', { name: 'Предыдущие редакции' }).click();
  await expect(page.locator('ul.editions li')).toHaveText([
    `Редакция № 2 от ${day} · действует`,
    'Редакция № 1 от 25.11.2026',
  ]);
});

test('a superseded edition says so and links to the edition in force', async ({ page, isolated }) => {
  await page.goto(`${isolated.url}/documents/privacy-policy/editions`);
  await page.getByRole('link', { name: 'Редакция № 1 от 25.11.2026' }).click();
  await expect(page).toHaveURL(/\/documents\/privacy-policy\/editions\/1$/);
  await expect(page.locator('article .edition')).toHaveText('Редакция № 1 от 25.11.2026');
  await expect(page.getByText('Эта редакция больше не действует.')).toBeVisible();

  await page.getByRole('link', { name: 'Действующая редакция' }).click();
  await expect(page).toHaveURL(/\/documents\/privacy-policy$/);
  await expect(page.locator('article .edition')).toHaveText(
    `Редакция № ${latest().edition} от ${bishkekDay(latest().effectiveFrom)} · действует`,
  );
});

test('an edition not yet translated is shown in Russian with a note, until its translation is published', async ({ page, isolated }) => {
  const { edition, effectiveFrom } = latest();
  await page.goto(`${isolated.url}/documents/privacy-policy`);
  await page.getByRole('banner').getByRole('link', { name: 'English' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.locator('article.document')).toHaveAttribute('lang', 'ru');
  await expect(page.locator('article .translation-note')).toHaveText('This document is available in Russian only.');
  await expect(page.locator('article .edition')).toHaveText(`Edition ${edition} of ${bishkekDay(effectiveFrom)} · in force`);

  // The old edition keeps its translation.
  await page.goto(`${isolated.url}/documents/privacy-policy/editions/1`);
  await expect(page.locator('article.document')).toHaveAttribute('lang', 'en');
  await expect(page.locator('article')).toContainText('This is a translation');
  await expect(page.getByText('This edition is no longer in force.')).toBeVisible();

  publishEdition({
    databaseUrl: isolated.databaseUrl,
    document: 'privacy-policy',
    language: 'en',
    edition,
    effectiveFrom: new Date().toISOString(),
    publishedBy: EDITOR,
    markdown: '# PRIVACY POLICY\n\n*This is a translation.* Second edition: receipt keeping periods clarified.\n',
  });
  // Servers keep the documents in memory and see an edition published by the
  // command within their refresh interval (2 s): a reader who reloads gets it.
  await expect(async () => {
    await page.goto(`${isolated.url}/documents/privacy-policy`);
    await expect(page.locator('article.document')).toHaveAttribute('lang', 'en', { timeout: 1_000 });
  }).toPass({ timeout: 10_000 });
  await expect(page.locator('article')).toContainText('Second edition: receipt keeping periods clarified.');
  await expect(page.locator('article .translation-note')).toHaveCount(0);
  // A translation takes effect with its edition: the number and date stay.
  await expect(page.locator('article .edition')).toHaveText(`Edition ${edition} of ${bishkekDay(effectiveFrom)} · in force`);

  await page.getByRole('banner').getByRole('link', { name: 'Русский' }).click();
  await expect(page.locator('html')).toHaveAttribute('lang', 'ru');
});

test('a new edition in force while the form is filled in holds the payment until it is accepted', async ({ page, isolated, js }) => {
  const code = '11202600000001';
  await page.goto(`${isolated.url}/pay/${code}`);
  await islandReady(page, js);
  await expect(page.locator('p.consent')).toContainText(`Политику конфиденциальности (редакция от ${bishkekDay(latest().effectiveFrom)})`);
  await fillCard(page, APPROVED);

  const effectiveFrom = new Date().toISOString();
  const edition = publishedNumber(publishEdition({
    databaseUrl: isolated.databaseUrl,
    document: 'privacy-policy',
    language: 'ru',
    effectiveFrom,
    publishedBy: EDITOR,
    markdown: '# ПОЛИТИКА конфиденциальности\n\nТретья редакция: добавлен раздел об обратной связи.\n',
  }));
  expect(edition).toBe(latest().edition + 1);
  published.push({ edition, effectiveFrom });

  await payButton(page).click();
  // The same page again, nothing charged: the notice, the new edition, the
  // name and expiry kept, the number named by its last four, no CVV.
  await expect(page.getByText(/вступила в силу новая редакция документов/)).toBeVisible();
  await expect(page).toHaveURL(new RegExp(`/pay/${code}$`));
  await expect(page.getByText('Оплата прошла успешно')).toHaveCount(0);
  const consent = page.locator('p.consent');
  await expect(consent).toContainText(`Политику конфиденциальности (редакция от ${bishkekDay(effectiveFrom)})`);
  await expect(consent.getByRole('link', { name: 'Политику конфиденциальности' })).toHaveAttribute('href', '/documents/privacy-policy');
  await expect(consent.getByRole('link', { name: 'Пользовательское соглашение' })).toHaveAttribute('href', '/documents/user-agreement');
  await islandReady(page, js);
  await expect(page.getByLabel(/Номер карты/)).toHaveValue('');
  await expect(page.locator('.number-again')).toContainText('(Visa •••• 1111)');
  await expect(page.getByLabel(/Имя и фамилия на карте/)).toHaveValue('Aibek Asanov');
  await expect(page.getByLabel(/Код безопасности/)).toHaveValue('');

  await page.getByLabel(/Номер карты/).fill(APPROVED);
  await page.getByLabel(/Код безопасности/).fill('739');
  await payButton(page).click();
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  await expect(page.getByText('Оплата прошла успешно')).toBeVisible();
  const accepted = page.locator('dl.receipt div').filter({ has: page.locator('dt', { hasText: 'Принятые условия' }) });
  await expect(accepted.getByRole('link', { name: 'Политика конфиденциальности' }))
    .toHaveAttribute('href', `/documents/privacy-policy/editions/${edition}`);
  await expect(accepted.getByRole('link', { name: 'Пользовательское соглашение' }))
    .toHaveAttribute('href', '/documents/user-agreement/editions/1');
  await expect(accepted.locator('li').first()).toHaveText(`Политика конфиденциальности, редакция от ${bishkekDay(effectiveFrom)}`);
});
