import { DomainError } from './errors.js';

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

/** What a stale click is told when the flow has nothing more particular to say. */
export const STALE_CARD_TEXT = 'That card was out of date; please use the latest one.';

/**
 * The one card-version check: a card carries the version of the row it showed, and a click on
 * a card older than the row (or with no readable version: forged, replayed) changes nothing.
 */
export function isCardStale(value: Record<string, unknown>, currentVersion: number): boolean {
  return cardVersion(value) !== currentVersion;
}

/** Refuses a stale card (isCardStale) with STALE_CARD and `message`. */
export function assertCardCurrent(value: Record<string, unknown>, currentVersion: number, message: string = STALE_CARD_TEXT): void {
  if (isCardStale(value, currentVersion)) throw new DomainError('STALE_CARD', message);
}
