// Money on the page: the contract gives prices in integer minor units ("cents") of the item's
// currency; the page formats them with Intl, in English like the rest of the page's text.

const formats = new Map<string, Intl.NumberFormat>();

function formatFor(currency: string): Intl.NumberFormat {
  let format = formats.get(currency);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-US', { style: 'currency', currency });
    formats.set(currency, format);
  }
  return format;
}

/**
 * "$12.50" for 1250 USD. The number of minor units per major one comes from the currency itself
 * (two for USD, none for JPY), so that a catalog in another currency still shows the right amount.
 */
export function formatMoney(minorUnits: number, currency: string): string {
  const format = formatFor(currency);
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(minorUnits / 10 ** digits);
}
