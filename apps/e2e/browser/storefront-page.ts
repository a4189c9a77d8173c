// The storefront page as a shopper sees it: the controls by their roles and labels, as a screen
// reader would find them, so that the tests break when the page stops being accessible.
import type { Page } from 'playwright-core';

export function storefrontPage(page: Page) {
  const catalogItem = (name: string) =>
    page.locator('#catalog-items > li').filter({ has: page.getByRole('heading', { name, exact: true }) });
  const cart = page.getByRole('region', { name: /^Your cart/ });
  const cartLine = (name: string) => cart.getByRole('listitem').filter({ hasText: name });
  return {
    page,
    catalogItem,
    cart,
    cartLine,
    cartLines: cart.getByRole('listitem'),
    cartCount: page.locator('#cart-count'),
    cartSummary: page.getByRole('link', { name: /^Cart:/ }),
    cartTotal: page.locator('#cart-total'),
    alert: page.getByRole('alert'),
    status: page.getByRole('status'),
    paymentToken: page.getByLabel('Payment token'),
    checkOutButton: page.getByRole('button', { name: 'Check out' }),
    confirmation: page.getByRole('region', { name: 'Thanks for shopping with us!' }),
    orderId: page.locator('#order-id'),
    async add(name: string, quantity = 1) {
      const item = catalogItem(name);
      await item.getByLabel('Quantity').fill(String(quantity));
      await item.getByRole('button', { name: 'Add to cart' }).click();
    },
    async setQuantity(name: string, quantity: number) {
      const field = page.getByLabel(`Quantity of ${name}`);
      await field.fill(String(quantity));
      await field.press('Enter');
    },
    async remove(name: string) {
      await page.getByRole('button', { name: `Remove ${name}` }).click();
    },
    async checkOut(paymentToken: string) {
      await page.getByLabel('Payment token').fill(paymentToken);
      await page.getByRole('button', { name: 'Check out' }).click();
    },
  };
}
