/**
 * Mentions of paying outside the marketplace, in English and Spanish: payment services
 * (PayPal, Venmo, Bizum, ...), money transfers, IBANs and explicit offers to pay around the
 * platform. Words that also have an everyday meaning ("transfer the furniture", "cash" as in
 * "cash flow") only count in a payment phrase.
 */
const PAYMENT_PATTERNS: readonly RegExp[] = [
  /\b(?:pay\s?pal|venmo|bizum|zelle|cash\s?app|western\s+union|moneygram|revolut|mercado\s?pago|nequi|daviplata|yape|plin)\b/iu,
  /\b(?:bank|wire)\s+transfer\b/iu,
  /\btransfer(?:ir|ir[tm]e|encia|encias)\b/iu,
  /\b(?:transferencia|dep[oó]sito)\s+(?:bancari[oa]|a\s+mi\s+cuenta)\b/iu,
  /\biban\b/iu,
  /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){3,7}\b/u,
  /\bpay\s+(?:me|you)\s+(?:directly|outside|off\s+(?:the\s+)?(?:app|platform|site))\b/iu,
  /\b(?:outside|off)\s+(?:of\s+)?(?:the\s+)?(?:app|platform|site)\b/iu,
  /\b(?:pag(?:ar|o|arte|arme)|cobr(?:ar|o|arte))\s+(?:por\s+fuera|fuera\s+de\s+la\s+(?:app|plataforma|aplicaci[oó]n))\b/iu,
  /\bfuera\s+de\s+la\s+(?:app|plataforma|aplicaci[oó]n)\b/iu,
  /\bn[uú]mero\s+de\s+cuenta\b/iu,
  /\baccount\s+number\b/iu,
];

/** True when the text mentions a payment outside the marketplace. */
export function mentionsOffPlatformPayment(text: string): boolean {
  return PAYMENT_PATTERNS.some((pattern) => pattern.test(text));
}
