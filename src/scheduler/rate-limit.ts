// Per-platform send rate limits shared by every worker process, kept in Redis.
//
// Limits (Microsoft and Slack documentation): Teams about 7 messages per second per
// conversation and 50 requests per second per app per tenant; Slack about 1 message per
// second per channel. Each limit is a spacing: sends on one key are at least
// windowMs × (1 + safety) / limit apart (GCRA without burst), so a platform counting any
// sliding window of windowMs never sees more than `limit`; `safety` absorbs the jitter between
// taking a slot here and the request reaching the platform.
//
// One Lua script takes the slot on every key of a send at once, using Redis's clock (so all
// processes agree). A send whose slot is at most maxHoldMs away takes it and waits in process;
// a later one takes no slot and is told when to come back (SendDeferredError: the worker
// delays the job, using no attempt and pausing nothing else). Those deferrals are spread one
// interval apart on a second timeline per key, so a burst of thousands of jobs on one key comes
// back at the rate the key allows instead of all at once. Card updates (an earlier reminder card
// replaced after a new one was posted) always wait for their slot: they cannot be deferred.
import type { Redis } from 'ioredis';
import type { ChannelSender, StoredConversationRef } from '../channels/outbox.js';
import { SendDeferredError } from './deliver-reminder.js';

export interface RateRule {
  /** At most `limit` sends … */
  limit: number;
  /** … in any window of this many milliseconds. */
  windowMs: number;
}

export const PLATFORM_RATE_LIMITS = {
  teamsConversation: { limit: 7, windowMs: 1000 },
  teamsAppTenant: { limit: 50, windowMs: 1000 },
  slackChannel: { limit: 1, windowMs: 1000 },
} as const satisfies Record<string, RateRule>;
export type PlatformRateLimits = { [K in keyof typeof PLATFORM_RATE_LIMITS]: RateRule };

export interface LimitedKey {
  key: string;
  rule: RateRule;
}

export type Acquired = { granted: true; waitMs: number } | { granted: false; retryInMs: number };

export interface RateLimiter {
  /** Takes the next slot on every key, or says when to try again (holdMs: this call's hold). */
  acquire(keys: readonly LimitedKey[], holdMs?: number): Promise<Acquired>;
  /** The platform said to wait (429 Retry-After): no slot on these keys before then. */
  penalise(keys: readonly LimitedKey[], ms: number): Promise<void>;
}

export interface RateLimiterOptions {
  /** Key prefix (the scheduler's Redis prefix). */
  prefix: string;
  /** Longest in-process wait for a slot before deferring the job instead (default 1000 ms). */
  maxHoldMs?: number;
  /** Extra spacing as a share of the interval (default 0.03). */
  safety?: number;
}

// KEYS: one hash per limited key (t = next free slot, b = end of the deferral timeline).
// ARGV[1] = maxHoldMs, ARGV[1 + i] = interval of KEYS[i] in ms.
// Returns { granted (1|0), milliseconds from now as a string }.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local maxHold = tonumber(ARGV[1])
local slot = now
local tats = {}
for i = 1, #KEYS do
  local tat = tonumber(redis.call('HGET', KEYS[i], 't') or '0')
  tats[i] = tat
  if tat > slot then slot = tat end
end
if slot - now <= maxHold then
  for i = 1, #KEYS do
    local next = slot + tonumber(ARGV[i + 1])
    redis.call('HSET', KEYS[i], 't', string.format('%.3f', next))
    redis.call('PEXPIREAT', KEYS[i], math.ceil(math.max(next, tonumber(redis.call('HGET', KEYS[i], 'b') or '0')) + 60000))
  end
  return { 1, string.format('%.3f', slot - now) }
end
local back = slot
for i = 1, #KEYS do
  local b = tonumber(redis.call('HGET', KEYS[i], 'b') or '0')
  if b > back then back = b end
end
for i = 1, #KEYS do
  local next = back + tonumber(ARGV[i + 1])
  redis.call('HSET', KEYS[i], 'b', string.format('%.3f', next))
  redis.call('PEXPIREAT', KEYS[i], math.ceil(math.max(next, tats[i]) + 60000))
end
return { 0, string.format('%.3f', back - now) }
`;

// KEYS: the hashes; ARGV[1] = milliseconds from now before which no slot is given.
const PENALISE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local until_ = now + tonumber(ARGV[1])
for i = 1, #KEYS do
  local tat = tonumber(redis.call('HGET', KEYS[i], 't') or '0')
  if until_ > tat then
    redis.call('HSET', KEYS[i], 't', string.format('%.3f', until_))
    redis.call('PEXPIREAT', KEYS[i], math.ceil(until_ + 60000))
  end
end
return 1
`;

type LimiterCommands = {
  sgRateAcquire(numKeys: number, ...args: Array<string | number>): Promise<[number, string]>;
  sgRatePenalise(numKeys: number, ...args: Array<string | number>): Promise<number>;
};

export function createRateLimiter(redis: Redis, options: RateLimiterOptions): RateLimiter {
  const maxHoldMs = options.maxHoldMs ?? 1000;
  const safety = options.safety ?? 0.03;
  const client = redis as Redis & LimiterCommands;
  if (!('sgRateAcquire' in client)) {
    redis.defineCommand('sgRateAcquire', { lua: ACQUIRE });
    redis.defineCommand('sgRatePenalise', { lua: PENALISE });
  }
  const name = (key: string) => `${options.prefix}:rate:${key}`;
  const interval = (rule: RateRule) => (rule.windowMs * (1 + safety)) / rule.limit;

  return {
    async acquire(keys, holdMs = maxHoldMs) {
      if (keys.length === 0) return { granted: true, waitMs: 0 };
      const [granted, ms] = await client.sgRateAcquire(
        keys.length,
        ...keys.map((k) => name(k.key)),
        holdMs,
        ...keys.map((k) => interval(k.rule).toFixed(3)),
      );
      const value = Math.max(0, Math.ceil(Number(ms)));
      return granted === 1 ? { granted: true, waitMs: value } : { granted: false, retryInMs: value };
    },
    async penalise(keys, ms) {
      if (keys.length === 0 || !(ms > 0)) return;
      await client.sgRatePenalise(keys.length, ...keys.map((k) => name(k.key)), Math.ceil(ms));
    },
  };
}

type TeamsReference = { conversation?: { id?: string; tenantId?: string }; bot?: { id?: string } };
type SlackReference = { channel?: string; teamId?: string };

/** The keys a send to this conversation counts against. */
export function limitedKeysFor(
  platform: ChannelSender['platform'],
  conversation: StoredConversationRef & { tenantId?: string },
  limits: PlatformRateLimits = PLATFORM_RATE_LIMITS,
): LimitedKey[] {
  if (platform === 'TEAMS') {
    const reference = (conversation.reference ?? {}) as TeamsReference;
    const tenant = reference.conversation?.tenantId ?? conversation.tenantId ?? 'unknown';
    const app = reference.bot?.id ?? 'bot';
    return [
      { key: `teams:conversation:${conversation.conversationId}`, rule: limits.teamsConversation },
      { key: `teams:app:${app}:tenant:${tenant}`, rule: limits.teamsAppTenant },
    ];
  }
  const reference = (conversation.reference ?? {}) as SlackReference;
  return [{ key: `slack:channel:${reference.teamId ?? conversation.tenantId ?? ''}:${reference.channel ?? conversation.conversationId}`, rule: limits.slackChannel }];
}

/** Retry-After of a platform's 429 in ms (botbuilder's RestError, Slack's rate-limited error), if any. */
// Wall time on purpose: an HTTP-date Retry-After is the platform's real time, and the wait is real.
export function platformRetryAfterMs(error: unknown, now = Date.now()): number | undefined {
  const e = error as {
    statusCode?: unknown;
    status?: unknown;
    code?: unknown;
    retryAfter?: unknown;
    response?: { headers?: { get?: (name: string) => string | undefined | null } };
  } | null;
  if (!e) return undefined;
  if (e.code === 'slack_webapi_rate_limited_error' && typeof e.retryAfter === 'number') return e.retryAfter * 1000;
  if (e.statusCode !== 429 && e.status !== 429) return undefined;
  const header = e.response?.headers?.get?.('retry-after');
  if (!header) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - now);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** An update of an earlier card happens after a new one was posted: it waits, never defers. */
const UPDATE_HOLD_MS = 60_000;

/**
 * The same sender, paced by the shared limiter. A send that would wait longer than the
 * limiter's hold throws SendDeferredError; a platform 429 blocks the send's keys for its
 * Retry-After and is rethrown carrying retryAfterMs (deliverReminder then retries it).
 */
export function rateLimitSender(sender: ChannelSender, limiter: RateLimiter, limits: PlatformRateLimits = PLATFORM_RATE_LIMITS): ChannelSender {
  async function paced<T>(conversation: StoredConversationRef, call: () => Promise<T>, holdMs?: number): Promise<T> {
    const keys = limitedKeysFor(sender.platform, conversation, limits);
    const slot = await limiter.acquire(keys, holdMs);
    if (!slot.granted) throw new SendDeferredError(slot.retryInMs);
    if (slot.waitMs > 0) await sleep(slot.waitMs);
    try {
      return await call();
    } catch (error) {
      const retryAfterMs = platformRetryAfterMs(error);
      if (retryAfterMs === undefined) throw error;
      await limiter.penalise(keys.slice(0, 1), retryAfterMs);
      throw Object.assign(error as object, { retryAfterMs });
    }
  }
  return {
    platform: sender.platform,
    send: (conversation, message) => paced(conversation, () => sender.send(conversation, message)),
    update: (conversation, messageId, message) => paced(conversation, () => sender.update(conversation, messageId, message), UPDATE_HOLD_MS),
    ...(sender.openPersonal ? { openPersonal: sender.openPersonal.bind(sender) } : {}),
  };
}
