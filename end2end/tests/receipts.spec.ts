import { test, expect, islandReady } from './fixtures';
import { issueRequest, payWith } from './operator';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Receipts a clerk can trust, with JavaScript on and off: the citizen pays
// and downloads the PDF (its text read back by pdftotext, Kyrgyz letters
// in the Kyrgyz one), the QR code on its first page decodes (zbarimg) to
// the verification page, which says "valid"; one character changed says
// "not valid". A lost receipt is found again by code and number. Each
// project works on its own server.

test.describe.configure({ mode: 'serial' });

/** The text of a PDF, and what the QR code on its first page says. */
function readPdf(bytes: Buffer): { text: string; qr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'receipt-'));
  const file = join(dir, 'receipt.pdf');
  writeFileSync(file, bytes);
  // Lines wrap where the layout wants: compare with whitespace collapsed.
  const text = execFileSync('pdftotext', [file, '-']).toString().replace(/\s+/g, ' ');
  execFileSync('pdftoppm', ['-r', '150', '-png', '-f', '1', '-l', '1', '-singlefile', file, join(dir, 'page')]);
  const qr = execFileSync('zbarimg', ['--raw', '-q', join(dir, 'page.png')]).toString().trim();
  return { text, qr };
}

test('the PDF receipt reads back and its QR code verifies it', async ({ page, request, isolated, js }, testInfo) => {
  test.setTimeout(90_000);
  const project = testInfo.project.name;
  const { code, pay_url } = await issueRequest(request, isolated.url, isolated.databaseUrl, `Квитанции e2e ${project}`, 123450);
  await page.goto(pay_url);
  await islandReady(page, js);
  await payWith(page, js);
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  const number = (await page.locator('.receipt-number').first().textContent())!.trim();
  await expect(page.locator('.verify-box svg')).toBeVisible();

  // The download, as the citizen's browser gets it.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Скачать квитанцию (PDF)' }).click(),
  ]);
  const ru = readPdf(readFileSync((await download.path())!));
  expect(ru.text).toContain(number);
  expect(ru.text).toContain('1 234,50 сом');
  expect(ru.text).toContain('Одна тысяча двести тридцать четыре сома 50 тыйын');
  expect(ru.text).not.toContain('4111 1111 1111 1111');
  expect(ru.text).not.toContain('4111111111111111');
  expect(ru.qr).toMatch(/\/verify\/\d{8}-[0-9A-Z]{5}-[0-9A-Z]{5}$/);

  // In Kyrgyz.
  const pdfUrl = `${page.url()}.pdf`;
  const ky = readPdf(await (await request.get(pdfUrl, { headers: { cookie: 'lang=ky' } })).body());
  expect(ky.text).toContain('Бир миң эки жүз отуз төрт сом 50 тыйын');
  expect(ky.text).toMatch(/[ңөү]/);
  expect(ky.qr).toBe(ru.qr);

  // The clerk's phone opens the QR code's address.
  await page.goto(ru.qr);
  await expect(page.locator('[data-verdict]')).toHaveAttribute('data-verdict', 'valid');
  await expect(page.locator('.verified')).toContainText(number);
  await expect(page.locator('body')).not.toContainText('Асанов');

  // One character of the code changed.
  const last = ru.qr.slice(-1);
  await page.goto(ru.qr.slice(0, -1) + (last === 'A' ? 'B' : 'A'));
  await expect(page.locator('[data-verdict]')).toHaveAttribute('data-verdict', 'invalid');
  await expect(page.getByText(/Недействительно/)).toBeVisible();

  // A clerk without a camera types the printed code.
  await page.goto(`${isolated.url}/verify`);
  const printed = ru.qr.split('/verify/')[1];
  await page.getByLabel('Код проверки').fill(printed.toLowerCase());
  await page.getByRole('button', { name: 'Проверить' }).click();
  await expect(page.locator('[data-verdict]')).toHaveAttribute('data-verdict', 'valid');

  // The receipt lost: the paid code's lookup leads to it with its number.
  await page.goto(`${isolated.url}/?code=${code}`);
  await expect(page.getByText('Чтобы снова увидеть квитанцию')).toBeVisible();
  await page.getByLabel('Номер квитанции').fill(number);
  await page.getByRole('button', { name: 'Открыть квитанцию' }).click();
  await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
  await expect(page.locator('.receipt-number').first()).toHaveText(number);
});
