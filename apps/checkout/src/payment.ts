// The payment processor stub: "tok_declined" is refused, any other token is accepted.

export interface PaymentRequest {
  token: string;
  amount: number;
  currency: string;
}

export type PaymentResult = { approved: true; paymentId: string } | { approved: false; reason: string };

export interface PaymentProcessor {
  charge(request: PaymentRequest): Promise<PaymentResult>;
}

export const DECLINED_TOKEN = 'tok_declined';

export const stubPaymentProcessor: PaymentProcessor = {
  async charge({ token }) {
    if (token === DECLINED_TOKEN) return { approved: false, reason: 'The card was declined.' };
    return { approved: true, paymentId: `pay_${Math.random().toString(36).slice(2, 12)}` };
  },
};
