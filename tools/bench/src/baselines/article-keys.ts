// Where the article's approach keeps a cart: the whole cart as one JSON string under "cart:" and the
// shopper. Shared by the baseline server and the bench, which reads the string back to count lost
// updates. The storefront's prefix goes in front, so in the memory comparison the two keys differ only
// by the storefront's hash tag braces (its key is 2 characters longer) and the values tell.
export const ARTICLE_PREFIX = 'storefront:cart:';

export function articleCartKey(userToken: string): string {
  return `${ARTICLE_PREFIX}${userToken}`;
}

export interface ArticleCartLine {
  id: string;
  quantity: number;
}
