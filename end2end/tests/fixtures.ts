import { test as base, expect, Page } from '@playwright/test';

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

/** Payable demo codes, distinct per project so parallel runs never share one. */
export const CODES = {
  js: {
    approve: '11202600000001', retry: '11202600000002', form: '11202600000003',
    frictionless: '11202600000004', challenge: '11202600000005', cancel: '11202600000006',
    confirming: '11202600000007',
  },
  nojs: {
    approve: '16202600000001', retry: '16202600000002', form: '16202600000003',
    frictionless: '16202600000004', challenge: '16202600000005', cancel: '16202600000006',
    confirming: '13202600000001',
  },
} as const;

export type ProjectName = keyof typeof CODES;

export const test = base.extend<{ codes: (typeof CODES)[ProjectName]; js: boolean }>({
  codes: async ({}, use, info) => use(CODES[info.project.name as ProjectName]),
  js: async ({}, use, info) => use(info.project.name === 'js'),
});

export { expect };
export type { Page };

export async function fillCard(page: Page, number: string, cvv = '739') {
  await page.getByLabel(/Имя и фамилия на карте|Name on card/).fill('Aibek Asanov');
  await page.getByLabel(/Номер карты|Card number/).fill(number);
  await page.getByLabel(/Месяц|Month/).fill('12');
  await page.getByLabel(/Год|Year/).fill('2030');
  await page.getByLabel(/Код безопасности|Security code/).fill(cvv);
}

/** Waits until the card form's island has hydrated (JS project only). */
export async function islandReady(page: Page, js: boolean) {
  if (js) await page.locator('form.card-form[data-ready="true"]').waitFor();
}
