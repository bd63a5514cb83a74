import { test, expect } from './fixtures';

// The main server's documents: edition 1 of both, in force since 25.11.2026,
// with Kyrgyz and English translations. Nothing here publishes.

test('the footer of every page has the support contacts and the documents in force', async ({ page, codes }) => {
  for (const path of ['/', `/?code=${codes.form}`, `/pay/${codes.form}`, '/documents', '/contacts', '/no-such-page']) {
    await page.goto(path);
    const footer = page.getByRole('contentinfo');
    await expect(footer.locator('a[href^="mailto:"]'), path).toHaveText('support@infocom.kg');
    await expect(footer.locator('a[href^="tel:"]'), path).toHaveCount(2);
    await expect(footer.getByRole('link', { name: 'Контакты и обратная связь' }), path).toHaveAttribute('href', '/contacts');
    const documents = footer.locator('ul.documents li');
    await expect(documents, path).toHaveCount(2);
    await expect(documents.nth(0).getByRole('link', { name: 'Политика конфиденциальности' })).toHaveAttribute('href', '/documents/privacy-policy');
    await expect(documents.nth(0).locator('span.edition')).toHaveText('Редакция от 25.11.2026');
    await expect(documents.nth(1).getByRole('link', { name: 'Пользовательское соглашение' })).toHaveAttribute('href', '/documents/user-agreement');
    await expect(documents.nth(1).locator('span.edition')).toHaveText('Редакция от 25.11.2026');
  }
});

test('the documents page lists both documents with the edition in force', async ({ page }) => {
  await page.goto('/documents');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Документы');
  const list = page.getByRole('main').locator('ul.documents');
  await expect(list.getByRole('link')).toHaveText(['Политика конфиденциальности', 'Пользовательское соглашение']);
  await expect(list.locator('.edition')).toHaveText(['Редакция от 25.11.2026', 'Редакция от 25.11.2026']);

  await list.getByRole('link', { name: 'Пользовательское соглашение' }).click();
  await expect(page).toHaveURL(/\/documents\/user-agreement$/);
  await expect(page.locator('article.document')).toHaveAttribute('lang', 'ru');
  await expect(page.locator('article .edition')).toHaveText('Редакция № 1 от 25.11.2026 · действует');
});

test('a document links to its archive, which lists every edition at its own address', async ({ page }) => {
  await page.goto('/documents/privacy-policy');
  await expect(page.locator('article.document')).toHaveAttribute('lang', 'ru');
  await expect(page.locator('article .edition')).toHaveText('Редакция № 1 от 25.11.2026 · действует');

  await page.getByRole('link', { name: 'Предыдущие редакции' }).click();
  await expect(page).toHaveURL(/\/documents\/privacy-policy\/editions$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Политика конфиденциальности');
  await expect(page.getByRole('heading', { level: 2, name: 'Все редакции' })).toBeVisible();
  const editions = page.locator('ul.editions li');
  await expect(editions).toHaveCount(1);
  await expect(editions.first()).toHaveText('Редакция № 1 от 25.11.2026 · действует');

  await editions.first().getByRole('link', { name: 'Редакция № 1 от 25.11.2026' }).click();
  await expect(page).toHaveURL(/\/documents\/privacy-policy\/editions\/1$/);
  await expect(page.locator('article .edition')).toHaveText('Редакция № 1 от 25.11.2026 · действует');
  await expect(page.getByText('Эта редакция больше не действует.')).toHaveCount(0);
});

test('an edition that does not exist is not found', async ({ page }) => {
  for (const path of ['/documents/privacy-policy/editions/99', '/documents/no-such-document', '/documents/user-agreement/editions/x']) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await expect(page.getByRole('heading', { level: 1 }), path).toHaveText('Страница не найдена');
    await expect(page.getByRole('alert'), path).toHaveText('Документ или редакция не найдены.');
  }
});

test('the documents are translated into English and Kyrgyz', async ({ page }) => {
  await page.goto('/documents/privacy-policy');
  await page.getByRole('link', { name: 'English' }).click();
  await expect(page).toHaveURL(/\/documents\/privacy-policy$/);
  await expect(page.locator('article.document')).toHaveAttribute('lang', 'en');
  await expect(page.locator('article')).toContainText('This is a translation');
  await expect(page.locator('article .edition')).toHaveText('Edition 1 of 25.11.2026 · in force');
  await expect(page.locator('.translation-note')).toHaveCount(0);

  await page.getByRole('link', { name: 'Кыргызча' }).click();
  await expect(page.locator('article.document')).toHaveAttribute('lang', 'ky');
  await expect(page.locator('article .edition')).toContainText('№ 1 редакция, 25.11.2026');

  await page.goto('/documents/user-agreement');
  await expect(page.locator('article.document')).toHaveAttribute('lang', 'ky');
  await page.getByRole('link', { name: 'Русский' }).click();
  await expect(page.locator('article.document')).toHaveAttribute('lang', 'ru');
});
