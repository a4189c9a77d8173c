import { cartServiceConfigReader } from '@storefront/cart-cache';

export const readInventoryConfig = cartServiceConfigReader(3001, 9101);
export type InventoryConfig = ReturnType<typeof readInventoryConfig>;
