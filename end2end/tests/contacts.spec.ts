import { test, expect } from './fixtures';

test('the contacts page has the support e-mail, phones and a way to the feedback form', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('contentinfo').getByRole('link', { name: 'Контакты и обратная связь' }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Контакты');

  const main = page.getByRole('main');
  await expect(main.getByRole('link', { name: 'support@infocom.kg' })).toHaveAttribute('href', 'mailto:support@infocom.kg');
  await expect(main.getByRole('link', { name: '(0312) 98-61-90' })).toHaveAttribute('href', 'tel:+996312986190');
  await expect(main.getByRole('link', { name: '(0312) 98-61-91' })).toHaveAttribute('href', 'tel:+996312986191');

  await main.getByRole('link', { name: 'Написать нам через форму обратной связи' }).click();
  await expect(page).toHaveURL(/\/feedback$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Обратная связь');
});
