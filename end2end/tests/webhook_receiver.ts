import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** One request an agency's endpoint received, as it arrived. */
export type Received = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The raw bytes of the body: what the signature covers. */
  body: Buffer;
};

export type Receiver = {
  /** The endpoint's address, `http://127.0.0.1:<port>/hook`. */
  url: string;
  /** Everything received so far, in order of arrival. */
  received: Received[];
  close: () => Promise<void>;
};

/**
 * An agency's webhook endpoint on the test's own machine (plain http to a
 * loopback address is allowed in test mode): it records every request and
 * answers 204, as a receiver that accepted the delivery.
 */
export async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
      });
      response.statusCode = 204;
      response.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The sender keeps its connections alive: close them too.
        server.closeAllConnections();
      }),
  };
}

/** A header's single value (Node joins repeated ones; none is expected twice). */
export function header(r: Received, name: string): string {
  const value = r.headers[name.toLowerCase()];
  return Array.isArray(value) ? value.join(', ') : value ?? '';
}

/**
 * Checks a delivery as the Standard Webhooks specification tells a receiver
 * to, written independently of the server: the timestamp (unix seconds) is
 * within `toleranceSeconds` of `nowSeconds`, and one of the space-separated
 * `v1,<base64>` signatures is the HMAC-SHA256 of `{id}.{timestamp}.{body}`
 * under the key that is the base64 after `whsec_`, compared in constant time.
 */
export function verifyWebhook(
  secret: string,
  id: string,
  timestamp: string,
  signatures: string,
  body: Buffer | string,
  nowSeconds = Math.floor(Date.now() / 1000),
  toleranceSeconds = 300,
): boolean {
  if (!secret.startsWith('whsec_') || !id || !/^\d+$/.test(timestamp)) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  if (key.length === 0) return false;
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', key)
    .update(`${id}.${timestamp}.`, 'utf8')
    .update(typeof body === 'string' ? Buffer.from(body, 'utf8') : body)
    .digest();
  return signatures.split(' ').some((candidate) => {
    if (!candidate.startsWith('v1,')) return false;
    const given = Buffer.from(candidate.slice('v1,'.length), 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
