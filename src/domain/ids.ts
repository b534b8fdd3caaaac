/** An id the bot issued (a UUID). Anything else in card data is forged or stale and never reaches a query. */
export function isId(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

/** The record version a card carries (see the version checks in the flows); malformed means stale. */
export function cardVersion(value: Record<string, unknown>): number {
  const raw = value.version;
  if (typeof raw !== 'number' && typeof raw !== 'string') return -1;
  const version = Number(raw);
  return Number.isInteger(version) && version > 0 ? version : -1;
}
