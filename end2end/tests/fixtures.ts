import { test as base, expect, APIRequestContext, Page, TestInfo } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const APPROVED = '4111 1111 1111 1111';
export const DECLINED = '4000 0000 0000 0002';
export const MASTERCARD = '5555 5555 5555 4444';
export const BAD_LUHN = '4111 1111 1111 1112';
/** 3-D Secure without a challenge: approved at once. */
export const FRICTIONLESS = '4000 0000 0000 3055';
/** 3-D Secure with a challenge page (the sandbox shows its one-time code). */
export const CHALLENGE = '4000 0000 0000 3220';
/** Charged, but the answer never comes back in time: the outcome is unknown. */
export const TIMEOUT = '4000 0000 0000 0259';
/** Charged, but recorded by the acquirer only after its client gave up:
 * "no such order" until then, which must not be read as "nothing charged". */
export const LATE_CHARGE = '4000 0000 0000 0267';

/** Payable demo codes, distinct per project so parallel runs never share one. */
export const CODES = {
  js: {
    approve: '11202600000001', retry: '11202600000002', form: '11202600000003',
    frictionless: '11202600000004', challenge: '11202600000005', cancel: '11202600000006',
    confirming: '11202600000007', consent: '11202600000008', languages: '11202600000009',
    lateCharge: '11202600000010',
  },
  nojs: {
    approve: '16202600000001', retry: '16202600000002', form: '16202600000003',
    frictionless: '16202600000004', challenge: '16202600000005', cancel: '16202600000006',
    confirming: '13202600000001', consent: '13202600000002', languages: '13202600000003',
    lateCharge: '13202600000004',
  },
} as const;

export type ProjectName = keyof typeof CODES;

/** The codes a project pays: the desktop and phone projects pay the `js`
 * set, each on a server of its own. */
function codesOf(project: string) {
  return project === 'nojs' ? CODES.nojs : CODES.js;
}

/**
 * The project's own server (scripts/e2e.sh starts one per project, each with
 * the full demo data on its own database): for specs that publish editions
 * or send feedback, so nothing they do reaches the main server's specs. The
 * project's tests share it: a spec using it runs its tests serially.
 */
export type Isolated = { url: string; databaseUrl: string };

/** Every card number the specs type: no page or answer may ever hold one. */
const TYPED_CARDS = [APPROVED, DECLINED, MASTERCARD, BAD_LUHN, FRICTIONLESS, CHALLENGE, TIMEOUT, LATE_CHARGE];

/**
 * The server `scripts/e2e.sh` started for this kind of spec and this
 * project. Against a deployed site (TOLEM_BASE_URL alone) there is none:
 * the specs that need one are skipped, not failed.
 */
function ownServer(kind: string, project: string, info: TestInfo): Isolated {
  const prefix = `TOLEM_${kind}_${project.toUpperCase()}`;
  const url = process.env[`${prefix}_URL`];
  const databaseUrl = process.env[`${prefix}_DATABASE_URL`];
  if (!url || !databaseUrl) {
    info.skip(true, `needs a server of its own (${prefix}_URL): run the suite with scripts/e2e.sh`);
  }
  return { url: url ?? '', databaseUrl: databaseUrl ?? '' };
}

export const test = base.extend<{
  codes: (typeof CODES)[ProjectName]; js: boolean; isolated: Isolated; desk: Isolated;
}>({
  // Every HTML and JSON answer a test's pages receive is searched for the
  // card numbers the specs type, written with or without spaces.
  context: async ({ context }, use, info) => {
    const scans: Promise<void>[] = [];
    const leaks: string[] = [];
    let scanned = 0;
    context.on('response', (response) => {
      if (!/html|json/.test(response.headers()['content-type'] ?? '')) return;
      scans.push(
        response.text().then(
          (body) => {
            scanned += 1;
            for (const card of TYPED_CARDS) {
              if (body.includes(card) || body.includes(card.replace(/ /g, ''))) {
                leaks.push(`${response.request().method()} ${response.url()} holds ${card.slice(0, 7)}…`);
              }
            }
          },
          // A redirect, or a body the browser no longer keeps: nothing to read.
          () => {},
        ),
      );
    });
    await use(context);
    await Promise.all(scans);
    info.annotations.push({ type: 'card-data scan', description: `${scanned} answers` });
    expect(leaks, 'no answer holds a card number').toEqual([]);
  },
  codes: async ({}, use, info) => use(codesOf(info.project.name)),
  js: async ({}, use, info) => use(info.project.use.javaScriptEnabled !== false),
  isolated: async ({}, use, info) => use(ownServer('ISOLATED', info.project.name, info)),
  // The back office's documents spec's own server (it publishes editions).
  desk: async ({}, use, info) => use(ownServer('DESK', info.project.name, info)),
});

export { expect };
export type { APIRequestContext, Page };

export async function fillCard(page: Page, number: string, cvv = '739') {
  await page.getByLabel(/Имя и фамилия на карте|Name on card/).fill('Aibek Asanov');
  await page.getByLabel(/Номер карты|Card number/).fill(number);
  await page.getByLabel(/Месяц|Month/).fill('12');
  await page.getByLabel(/Год|Year/).fill('2030');
  await page.getByLabel(/Код безопасности|Security code/).fill(cvv);
}

/** Waits until the card form's island has hydrated (JS project only). */
export async function islandReady(page: Page, js: boolean) {
  if (js) await page.locator('leptos-island[data-ready="true"] form.card-form').waitFor();
}

export type Edition = {
  databaseUrl: string;
  document: 'privacy-policy' | 'user-agreement';
  language: 'ru' | 'ky' | 'en';
  /** RFC 3339 with an offset, e.g. `new Date().toISOString()`. */
  effectiveFrom: string;
  publishedBy: string;
  markdown: string;
  /** Adds a translation to this edition instead of publishing a new one. */
  edition?: number;
};

/** Publishes an edition with `server publish`, as the site's editors do; returns its output. */
export function publishEdition(e: Edition): string {
  const bin = process.env.TOLEM_SERVER_BIN;
  if (!bin) test.skip(true, 'needs the server binary (TOLEM_SERVER_BIN): run the suite with scripts/e2e.sh');
  const dir = mkdtempSync(join(tmpdir(), 'tolem-edition-'));
  try {
    const file = join(dir, `${e.document}.${e.language}.md`);
    writeFileSync(file, e.markdown);
    const args = ['publish', '--document', e.document, '--language', e.language,
      '--effective-from', e.effectiveFrom, '--published-by', e.publishedBy];
    if (e.edition !== undefined) args.push('--edition', String(e.edition));
    args.push(file);
    return execFileSync(bin!, args, {
      env: { ...process.env, DATABASE_URL: e.databaseUrl, TOLEM_LOG: 'warn' },
      encoding: 'utf8',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The number of the edition `publishEdition` reported publishing. */
export function publishedNumber(output: string): number {
  const found = output.match(/published edition (\d+)/);
  if (!found) throw new Error(`unexpected output of server publish: ${output}`);
  return Number(found[1]);
}

/** The day of a moment in Bishkek (UTC+6, no daylight saving) as the site writes dates: DD.MM.YYYY. */
export function bishkekDay(moment: Date | string = new Date()): string {
  const [year, month, day] = new Date(new Date(moment).getTime() + 6 * 3600_000).toISOString().slice(0, 10).split('-');
  return `${day}.${month}.${year}`;
}

/** The payment button of the card form (not the "Оплатить картой" link). */
export function payButton(page: Page) {
  return page.getByRole('button', { name: 'Оплатить', exact: true });
}
