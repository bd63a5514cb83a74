import { test, expect, fillCard, islandReady, payButton, APPROVED } from './fixtures';

test('the pay page names the editions accepted by paying', async ({ page, codes, js }) => {
  await page.goto(`/pay/${codes.form}`);
  await islandReady(page, js);
  const consent = page.locator('p.consent');
  await expect(consent).toHaveText(
    'Нажимая «Оплатить», вы принимаете Политику конфиденциальности (редакция от 25.11.2026) ' +
      'и Пользовательское соглашение (редакция от 25.11.2026)',
  );
  await expect(consent.getByRole('link', { name: 'Политику конфиденциальности' })).toHaveAttribute('href', '/documents/privacy-policy');
  await expect(consent.getByRole('link', { name: 'Пользовательское соглашение' })).toHaveAttribute('href', '/documents/user-agreement');
});

test('the receipt records the editions accepted by paying', async ({ page, codes, js }) => {
  await page.goto(`/pay/${codes.consent}`);
  await islandReady(page, js);
  await fillCard(page, APPROVED);
  await payButton(page).click();

  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  await expect(page.getByText('Оплата прошла успешно')).toBeVisible();
  const accepted = page.locator('dl.receipt div').filter({ has: page.locator('dt', { hasText: 'Принятые условия' }) });
  await expect(accepted.locator('li')).toHaveText([
    'Политика конфиденциальности, редакция от 25.11.2026',
    'Пользовательское соглашение, редакция от 25.11.2026',
  ]);
  await expect(accepted.getByRole('link', { name: 'Политика конфиденциальности' })).toHaveAttribute('href', '/documents/privacy-policy/editions/1');
  await expect(accepted.getByRole('link', { name: 'Пользовательское соглашение' })).toHaveAttribute('href', '/documents/user-agreement/editions/1');

  // The link leads to the very edition accepted, with its number.
  await accepted.getByRole('link', { name: 'Политика конфиденциальности' }).click();
  await expect(page).toHaveURL(/\/documents\/privacy-policy\/editions\/1$/);
  await expect(page.locator('article .edition')).toContainText('Редакция № 1 от 25.11.2026');
});
