import { test, expect, fillCard, islandReady, payButton, APPROVED, DECLINED } from './fixtures';

/** The project's guarded server (scripts/e2e.sh): one decline per client. */
function guarded(project: string): string {
  const url = process.env[`TOLEM_GUARDED_${project.toUpperCase()}_URL`];
  if (!url) test.skip(true, 'needs a guarded server of its own (TOLEM_GUARDED_*_URL): run the suite with scripts/e2e.sh');
  return url ?? '';
}

test('a client past its decline limit is told to wait, keeps the form, and reaches no bank', async ({ page, codes, js }, info) => {
  const base = guarded(info.project.name);
  await page.goto(`${base}/pay/${codes.retry}`);
  await islandReady(page, js);
  await fillCard(page, DECLINED, '482');
  await payButton(page).click();
  await expect(page.locator('.notice')).toContainText('Банк отклонил платёж');

  await page.getByLabel(/Номер карты/).fill(APPROVED);
  await page.getByLabel(/Код безопасности/).fill('739');
  await payButton(page).click();
  await expect(page.locator('.notice')).toContainText('Слишком много попыток оплаты');
  await expect(page.locator('.notice')).toContainText('деньги не списаны');
  await expect(page).toHaveURL(new RegExp(`/pay/${codes.retry}$`));
  await expect(page.getByLabel(/Имя и фамилия на карте/)).toHaveValue('Aibek Asanov');
  await expect(page.getByLabel(/Код безопасности/)).toHaveValue('');
  await expect(page.getByText('Оплата прошла успешно')).toHaveCount(0);
});
