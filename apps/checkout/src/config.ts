import { cartServiceConfigReader } from '@storefront/cart-cache';

export const readCheckoutConfig = cartServiceConfigReader(3002, 9102);
export type CheckoutConfig = ReturnType<typeof readCheckoutConfig>;
