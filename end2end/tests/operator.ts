import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { test, expect, fillCard, islandReady, payButton, APPROVED, APIRequestContext, Page } from './fixtures';

// What the operator does at the console, and paying a code, as specs that
// set up their own agencies and staff accounts need them.

/** Runs an operator command (`server agency …`, `server user …`) against a server's database. */
export function operator(databaseUrl: string, args: string[], input?: string): string {
  const bin = process.env.TOLEM_SERVER_BIN;
  // Against a deployed site there is no console to run it from: skipped.
  if (!bin) test.skip(true, 'needs the server binary (TOLEM_SERVER_BIN): run the suite with scripts/e2e.sh');
  return execFileSync(bin!, args, {
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

export const PASSWORD = 'correct horse battery staple';

/** A staff account made at the console; answers its email and TOTP secret. */
export function staffAccount(databaseUrl: string, role: string, project: string) {
  const email = `${role}-${project}-${randomUUID().slice(0, 8)}@infocom.kg`;
  const output = operator(databaseUrl, ['user', 'add', '--email', email, '--role', role], `${PASSWORD}\n`);
  const uri = printed(output, /^(otpauth:\/\/totp\/\S+)$/m);
  const secret = new URL(uri).searchParams.get('secret');
  if (!secret) throw new Error(`no secret in ${uri}`);
  return { email, secret };
}

export async function password(page: Page, base: string, email: string, typed: string) {
  await page.goto(`${base}/admin/login`);
  await page.getByLabel('Электронная почта').fill(email);
  await page.getByLabel('Пароль').fill(typed);
  await page.getByRole('button', { name: 'Продолжить' }).click();
}

/** Signs `account` in: password, then the code its authenticator shows. */
export async function signIn(page: Page, base: string, account: { email: string; secret: string }) {
  await password(page, base, account.email, PASSWORD);
  await page.getByLabel('Одноразовый код').fill(totp(account.secret));
  await page.getByRole('button', { name: 'Войти' }).click();
  await expect(page).toHaveURL(/\/admin\/payments$/);
}

/**
 * A payment request issued through the agency API by a new agency of
 * `name`; answers its code and its payment page's address.
 */
export async function issueRequest(
  request: APIRequestContext, base: string, databaseUrl: string, name: string, amount: number,
): Promise<{ code: string; pay_url: string }> {
  const agency = printed(
    operator(databaseUrl, ['agency', 'create', '--name', name, '--services', 'passport,driving_licence,meken_card']),
    /^agency (agc_\S+)$/m,
  );
  const key = printed(
    operator(databaseUrl, ['api-key', 'create', '--agency', agency]),
    /^API key \(shown once, only its hash is kept\): (tlm_test_\S+)$/m,
  );
  const issued = await request.post(`${base}/api/v1/payment-requests`, {
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
    data: {
      service: 'driving_licence', applicant_name: 'Асанов Бакыт Алмазович', amount,
      expires_at: new Date(Date.now() + 24 * 3600_000).toISOString(), reference: `E2E-${randomUUID()}`,
    },
  });
  expect(issued.status(), await issued.text()).toBe(201);
  return issued.json();
}
