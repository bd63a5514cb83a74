import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { expect, fillCard, islandReady, payButton, APPROVED, Page } from './fixtures';

// What the operator does at the console, and paying a code, as specs that
// set up their own agencies and staff accounts need them.

/** Runs an operator command (`server agency …`, `server user …`) against a server's database. */
export function operator(databaseUrl: string, args: string[], input?: string): string {
  const bin = process.env.TOLEM_SERVER_BIN;
  if (!bin) throw new Error('TOLEM_SERVER_BIN is not set: run the suite with scripts/e2e.sh');
  return execFileSync(bin, args, {
    env: { ...process.env, DATABASE_URL: databaseUrl, TOLEM_TEST_MODE: 'true', TOLEM_LOG: 'warn' },
    encoding: 'utf8',
    input,
  });
}

export function printed(output: string, pattern: RegExp): string {
  const found = output.match(pattern);
  if (!found) throw new Error(`unexpected output of the operator command: ${output}`);
  return found[1];
}

/** Pays with `card`, and again if a document edition took effect meanwhile. */
export async function payWith(page: Page, js: boolean, card = APPROVED) {
  await fillCard(page, card);
  await payButton(page).click();
  // editions.spec.ts publishes editions on the isolated servers while other
  // specs run: one taking effect while the form is filled in holds the
  // payment (nothing charged) until the citizen presses Pay again.
  const success = page.getByText('Оплата прошла успешно');
  const newEdition = page.getByText(/вступила в силу новая редакция документов/);
  await expect(success.or(newEdition)).toBeVisible();
  if (!(await success.isVisible())) {
    await islandReady(page, js);
    await page.getByLabel(/Номер карты/).fill(card);
    await page.getByLabel(/Код безопасности/).fill('739');
    await payButton(page).click();
  }
  await expect(success).toBeVisible();
}

function base32(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of text.replace(/=+$/, '').toUpperCase()) {
    bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  }
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** The RFC 6238 code of `secret` (base32) now: what an authenticator app shows. */
export function totp(secret: string, at = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const mac = createHmac('sha1', base32(secret)).update(counter).digest();
  const offset = mac[19] & 15;
  const number = (((mac[offset] & 127) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3]) % 1_000_000;
  return String(number).padStart(6, '0');
}
