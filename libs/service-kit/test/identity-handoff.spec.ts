import { createIdentityHandoff } from '@storefront/service-kit';

const secret = 's'.repeat(40);
const handoff = createIdentityHandoff(secret, 30_000);
const request = { method: 'PATCH', url: '/Cart/checkout' };

describe('identity hand-off', () => {
  it('verifies a header it signed for the same request, giving back the subject', () => {
    const now = Date.now();
    const header = handoff.sign('shopper-1', request, now);
    expect(handoff.verify(header, request, now + 1_000)).toEqual({ subject: 'shopper-1', nonce: header.split('.')[3] });
  });

  it('refuses an expired header, one from the far future, and one for another request', () => {
    const now = Date.now();
    const header = handoff.sign('shopper-1', request, now);
    expect(handoff.verify(header, request, now + 35_001)).toBeUndefined();
    expect(handoff.verify(header, request, now - 60_000)).toBeUndefined();
    expect(handoff.verify(header, { method: 'PATCH', url: '/Cart/checkout?x' }, now)).toBeUndefined();
    expect(handoff.verify(header, { method: 'POST', url: '/Cart/checkout' }, now)).toBeUndefined();
  });

  it('refuses a header whose subject or expiry was changed, or that another secret signed', () => {
    const now = Date.now();
    const header = handoff.sign('shopper-1', request, now);
    const [v, , expires, nonce, signature] = header.split('.');
    expect(handoff.verify([v, 'shopper-2', expires, nonce, signature].join('.'), request, now)).toBeUndefined();
    expect(
      handoff.verify([v, 'shopper-1', String(Number(expires) + 1), nonce, signature].join('.'), request, now),
    ).toBeUndefined();
    expect(
      handoff.verify([v, 'shopper-1', expires, 'AAAAAAAAAAAAAAAA', signature].join('.'), request, now),
    ).toBeUndefined();
    expect(createIdentityHandoff('t'.repeat(40)).verify(header, request, now)).toBeUndefined();
  });

  it('tolerates a few seconds between the gateway clock and the service clock', () => {
    const now = Date.now();
    expect(handoff.verify(handoff.sign('shopper-1', request, now + 3_000), request, now)?.subject).toBe('shopper-1');
    expect(handoff.verify(handoff.sign('shopper-1', request, now - 3_000), request, now + 30_000)?.subject).toBe(
      'shopper-1',
    );
  });

  it.each([
    undefined,
    '',
    'v1',
    'v1.a.b',
    'v2.a.1.sig',
    'v1.a.notanumber.AAAAAAAAAAAAAAAA.sig',
    'v1.bad subject.1.AAAAAAAAAAAAAAAA.sig',
    'v1.a.1.short.sig',
  ])('refuses the malformed header %p', (header) => {
    expect(handoff.verify(header, request)).toBeUndefined();
  });

  it('gives every hand-off its own nonce', () => {
    const nonces = new Set(Array.from({ length: 100 }, () => handoff.sign('shopper-1', request).split('.')[3]));
    expect(nonces.size).toBe(100);
  });

  it('will not sign a subject that could break the format', () => {
    expect(() => handoff.sign('has.dot', request)).toThrow(TypeError);
  });
});
