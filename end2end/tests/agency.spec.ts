import { randomUUID } from 'node:crypto';
import { test, expect, islandReady, APPROVED } from './fixtures';
import { operator, payWith, printed } from './operator';
import { header, Received, startReceiver, verifyWebhook } from './webhook_receiver';

// An agency issues a payment request through the API, the citizen pays it
// at its pay_url, and the agency learns of it by a signed webhook. Each
// project works on its own server (scripts/e2e.sh starts one per project),
// with an agency of its own made there by the operator's command.

type Event = { type: string; timestamp: string; data: Record<string, unknown> };
const event = (r: Received): Event => JSON.parse(r.body.toString('utf8'));

test('the verifier accepts the Standard Webhooks example and refuses any change to it', () => {
  // The reference libraries' example: this secret, id, timestamp and body sign to this.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
  const timestamp = '1614265330';
  const body = '{"test": 2432232314}';
  const signature = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
  const at = Number(timestamp);
  expect(verifyWebhook(secret, id, timestamp, signature, body, at)).toBe(true);
  expect(verifyWebhook(secret, id, timestamp, `v1,bm90IGl0 ${signature}`, body, at), 'one good signature of several').toBe(true);
  expect(verifyWebhook(secret, id, timestamp, signature, '{"test": 2432232315}', at), 'another body').toBe(false);
  expect(verifyWebhook(secret, 'msg_other', timestamp, signature, body, at), 'another id').toBe(false);
  expect(verifyWebhook(secret, id, String(at + 1), signature, body, at), 'another timestamp').toBe(false);
  expect(verifyWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSx', id, timestamp, signature, body, at), 'another secret').toBe(false);
  expect(verifyWebhook(secret, id, timestamp, signature.replace('v1,', 'v2,'), body, at), 'another scheme').toBe(false);
  expect(verifyWebhook(secret, id, timestamp, 'v1,', body, at), 'an empty signature').toBe(false);
  expect(verifyWebhook(secret, id, timestamp, signature, body, at + 301), 'more than 5 minutes late').toBe(false);
  expect(verifyWebhook(secret, id, timestamp, signature, body, at - 301), 'more than 5 minutes early').toBe(false);
});

test('an agency issues a request, the citizen pays it, the agency gets a signed webhook', async ({ page, request, isolated, js }, testInfo) => {
  test.setTimeout(90_000);
  const project = testInfo.project.name;
  const receiver = await startReceiver();
  try {
    // The operator registers the agency with its endpoint, and gives it a key.
    const made = operator(isolated.databaseUrl, [
      'agency', 'create', '--name', `Паспортный стол (e2e ${project} ${randomUUID().slice(0, 8)})`,
      '--services', 'passport,driving_licence,meken_card', '--webhook-url', receiver.url,
    ]);
    const agency = printed(made, /^agency (agc_\S+)$/m);
    const secret = printed(made, /^webhook signing secret \(shown once\): (whsec_\S+)$/m);
    const key = printed(
      operator(isolated.databaseUrl, ['api-key', 'create', '--agency', agency, '--label', `e2e ${project}`]),
      /^API key \(shown once, only its hash is kept\): (tlm_test_\S+)$/m,
    );

    // The agency issues a payment request.
    const api = `${isolated.url}/api/v1/payment-requests`;
    const auth = { Authorization: `Bearer ${key}` };
    const reference = `PSP-E2E-${project}-${randomUUID()}`;
    const issued = await request.post(api, {
      headers: { ...auth, 'Content-Type': 'application/json', 'Idempotency-Key': randomUUID() },
      data: {
        service: 'passport',
        applicant_name: 'Асанов Бакыт Алмазович',
        amount: 150000,
        expires_at: new Date(Date.now() + 24 * 3600_000).toISOString(),
        reference,
        description: 'Паспорт гражданина КР (e2e)',
      },
    });
    expect(issued.status(), await issued.text()).toBe(201);
    const created = await issued.json();
    const code: string = created.code;
    expect(code).toMatch(/^11\d{14}$/);
    expect(created).toMatchObject({
      status: 'awaiting_payment', service: 'passport', amount: 150000, currency: 'KGS', reference,
      paid_at: null, receipt_number: null,
    });
    expect(created.pay_url).toBe(`${isolated.url}/pay/${code}`);
    expect(Date.parse(created.created_at)).not.toBeNaN();

    // The citizen opens the link and pays.
    await page.goto(created.pay_url);
    await islandReady(page, js);
    const summary = page.locator('.summary');
    await expect(summary.locator('.code')).toHaveText(code);
    await expect(summary.locator('.applicant')).toHaveText('А****в Б. А.');
    await expect(summary.locator('.amount')).toHaveText('1\u00a0500,00 сом');
    await expect(summary).toContainText('Ожидает оплаты');
    await expect(page.locator('body')).not.toContainText('Бакыт');
    await payWith(page, js);
    await expect(page).toHaveURL(/\/receipt\/[0-9a-f]{32}$/);
    await expect(page.locator('.receipt .code')).toHaveText(code);
    const receiptOnPage = (await page.locator('.receipt .receipt-number').textContent())?.trim();

    // The agency learns of it by webhook (the courier polls every 500 ms).
    const paidDeliveries = () =>
      receiver.received.filter((r) => {
        const e = event(r);
        return e.type === 'payment_request.paid' && e.data.code === code;
      });
    await expect.poll(() => paidDeliveries().length, { timeout: 15_000, intervals: [250] }).toBeGreaterThan(0);
    const delivery = paidDeliveries()[0];
    expect(delivery.method).toBe('POST');
    expect(delivery.path).toBe('/hook');
    expect(header(delivery, 'content-type')).toMatch(/^application\/json/);

    const id = header(delivery, 'webhook-id');
    const timestamp = header(delivery, 'webhook-timestamp');
    const signatures = header(delivery, 'webhook-signature');
    expect(timestamp).toMatch(/^\d+$/);
    expect(Math.abs(Date.now() / 1000 - Number(timestamp)), 'timestamp within 5 minutes').toBeLessThanOrEqual(300);
    expect(signatures).toMatch(/^v1,[A-Za-z0-9+/]+=*( v1,[A-Za-z0-9+/]+=*)*$/);
    expect(verifyWebhook(secret, id, timestamp, signatures, delivery.body), 'the signature verifies').toBe(true);

    // A verification that passes anything would pass these: it must not.
    const body = delivery.body.toString('utf8');
    const tampered = body.replace('"status":"paid"', '"status":"awaiting_payment"');
    expect(tampered, 'the body was changed').not.toBe(body);
    expect(verifyWebhook(secret, id, timestamp, signatures, tampered), 'a tampered body').toBe(false);
    expect(verifyWebhook(secret, id, timestamp, signatures, Buffer.concat([delivery.body, Buffer.from(' ')])), 'a byte added').toBe(false);
    expect(verifyWebhook(secret, `${id}x`, timestamp, signatures, delivery.body), 'another id').toBe(false);
    expect(verifyWebhook(secret, id, String(Number(timestamp) + 1), signatures, delivery.body), 'another timestamp').toBe(false);
    expect(verifyWebhook(`whsec_${Buffer.alloc(24, 7).toString('base64')}`, id, timestamp, signatures, delivery.body), 'another secret').toBe(false);
    expect(verifyWebhook(secret, id, timestamp, signatures, delivery.body, Number(timestamp) + 301), 'replayed 5 minutes later').toBe(false);

    const paid = event(delivery);
    expect(Date.parse(paid.timestamp)).not.toBeNaN();
    expect(paid.data).toMatchObject({
      code, status: 'paid', service: 'passport', amount: 150000, currency: 'KGS', reference,
      pay_url: created.pay_url,
    });
    expect(typeof paid.data.receipt_number).toBe('number');
    for (const r of receiver.received) {
      const text = r.body.toString('utf8');
      expect(text.includes(APPROVED) || text.includes(APPROVED.replace(/ /g, '')), 'no webhook holds a card number').toBe(false);
    }

    // Its id is the paid event's, as the API lists it.
    const listed = await request.get(`${api}/${code}/events`, { headers: auth });
    expect(listed.status(), await listed.text()).toBe(200);
    const { events } = (await listed.json()) as { events: { id: string; type: string; code: string; at: string }[] };
    const paidEvents = events.filter((e) => e.type === 'payment_request.paid');
    expect(paidEvents).toHaveLength(1);
    expect(paidEvents[0]).toMatchObject({ id, code });
    // Delivery is at least once: a repeat carries the same id.
    for (const again of paidDeliveries()) expect(header(again, 'webhook-id')).toBe(id);

    // The request's creation is listed before its payment (it is not sent
    // by webhook: the agency made it, and had the answer).
    expect(events.map((e) => e.type)).toEqual(['payment_request.created', 'payment_request.paid']);
    expect(events.every((e) => e.code === code)).toBe(true);

    // And the API now says it is paid, with the receipt's number.
    const after = await request.get(`${api}/${code}`, { headers: auth });
    expect(after.status(), await after.text()).toBe(200);
    const now = await after.json();
    expect(now).toMatchObject({ code, status: 'paid', reference });
    expect(typeof now.receipt_number).toBe('number');
    expect(now.receipt_number).toBe(paid.data.receipt_number);
    expect(Date.parse(now.paid_at)).not.toBeNaN();
    expect(receiptOnPage).toBe(`TLM-${String(now.receipt_number).padStart(8, '0')}`);
  } finally {
    await receiver.close();
  }
});
