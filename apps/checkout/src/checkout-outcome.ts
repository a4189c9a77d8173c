// What became of a checkout request, for the checkouts metric: read from its answer, or from the
// error that ended it.
import type { CheckoutOutcome } from '@storefront/observability';
import { AppError } from '@storefront/service-kit';
import type { CheckoutAnswer } from './place-order';

export type { CheckoutOutcome } from '@storefront/observability';

export function outcomeOfAnswer({ response, replayed }: CheckoutAnswer): CheckoutOutcome {
  if (replayed) return 'replayed';
  if (response.status === 200) return 'placed';
  if (response.status === 402) return 'declined';
  if (response.status === 400 && response.body.includes('"CART_EMPTY"')) return 'empty';
  return 'refused';
}

export function outcomeOfError(err: unknown): CheckoutOutcome {
  if (!(err instanceof AppError)) return 'failed';
  if (err.status === 409) return 'conflict';
  if (err.status === 503) return 'unavailable';
  return err.status < 500 ? 'refused' : 'failed';
}
