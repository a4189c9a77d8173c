import { formatMoney } from './money';

describe('formatMoney', () => {
  it('formats cents as dollars with two decimals and a thousands separator', () => {
    expect(formatMoney(1250, 'USD')).toBe('$12.50');
    expect(formatMoney(499, 'USD')).toBe('$4.99');
    expect(formatMoney(123456789, 'USD')).toBe('$1,234,567.89');
    expect(formatMoney(0, 'USD')).toBe('$0.00');
  });

  it('takes the minor units of the currency: none for yen, three for dinars', () => {
    expect(formatMoney(1250, 'JPY')).toBe('¥1,250');
    // Intl puts a no-break space between a currency code and the amount.
    expect(formatMoney(1250, 'KWD')).toBe('KWD\u00a01.250');
  });

  it('names a currency other than the dollar', () => {
    expect(formatMoney(1250, 'EUR')).toBe('€12.50');
  });
});
