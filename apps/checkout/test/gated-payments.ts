// A payment processor for tests whose charges wait until the test lets them go, to look at the world
// while a checkout runs (used here and by the end-to-end tests).
import { stubPaymentProcessor, type PaymentProcessor } from '../src/payment';

export function gatedPayments() {
  let release: () => void = () => undefined;
  let entered: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const started = new Promise<void>((resolve) => (entered = resolve));
  const processor: PaymentProcessor = {
    async charge(payment) {
      entered();
      await gate;
      return stubPaymentProcessor.charge(payment);
    },
  };
  return { processor, started, release: () => release() };
}
