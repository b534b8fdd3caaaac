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
// processes agree; tests may inject a clock, RateLimiterOptions.now). A send whose slot is at most
// maxHoldMs away takes it and waits in process; a later one takes no slot and is told when to come
// back (SendDeferredError: the worker delays the job, using no attempt and pausing nothing else).
// Those deferrals are spread one interval apart on a second timeline per key, so a burst of
// thousands of jobs on one key comes back at the rate the key allows instead of all at once. Card
// updates (an earlier reminder card replaced after a new one was posted) always wait for their
// slot: they cannot be deferred.
import type { Redis } from 'ioredis';
import type { ChannelSender, StoredConversationRef } from './outbox.js';

/**
 * The send has to wait for its slot longer than is worth holding a worker for (or, thrown by
 * deliverReminder, until the recipient's quiet hours end). Not a failure: deliverReminder
 * rethrows it untouched (no attempt and no lastError stored) and the worker delays the job by
 * delayMs, using none of its attempts.
 */
export class SendDeferredError extends Error {
  override name = 'SendDeferredError';
  constructor(readonly delayMs: number) {
    super(`send deferred for ${delayMs} ms`);
  }
}

export interface RateRule {
  /** At most `limit` sends … */
  limit: number;
  /** … in any window of this many milliseconds. */
  windowMs: number;
  /**
   * Sends allowed at once after a quiet spell (default 1: strict spacing). Only for a platform
   * that documents bursts: a sliding-window counter like Teams' would refuse them.
   */
  burst?: number;
}

export const PLATFORM_RATE_LIMITS = {
  teamsConversation: { limit: 7, windowMs: 1000 },
  teamsAppTenant: { limit: 50, windowMs: 1000 },
  // Slack: "1 message per second to a channel ... generous burst behaviour is also granted".
  // A reply of a few messages (a list of action points) goes out at once; a flood is spaced.
  slackChannel: { limit: 1, windowMs: 1000, burst: 4 },
} as const satisfies Record<string, RateRule>;
export type PlatformRateLimits = { [K in keyof typeof PLATFORM_RATE_LIMITS]: RateRule };

/** The documented limits, with the Teams tenant budget configured (TEAMS_TENANT_RATE_LIMIT). */
export function platformRateLimits(teamsTenantLimit: number = PLATFORM_RATE_LIMITS.teamsAppTenant.limit): PlatformRateLimits {
  return { ...PLATFORM_RATE_LIMITS, teamsAppTenant: { limit: teamsTenantLimit, windowMs: 1000 } };
}

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
  /**
   * The clock slots are counted on, in ms (tests). By default Redis's own clock, so that every
   * process agrees whatever its own clock says.
   */
  now?: () => number;
}

// KEYS: one hash per limited key (t = next free slot, b = end of the deferral timeline).
// ARGV[1] = maxHoldMs, ARGV[2i] = interval of KEYS[i] in ms, ARGV[2i + 1] = its burst
// tolerance in ms (a send may go that far ahead of its spacing; 0 for strict spacing);
// ARGV[2 * #KEYS + 2], if not empty, the time now in ms (else Redis's clock).
// Returns { granted (1|0), milliseconds from now as a string }.
const CLOCK = (argv: string) => `
local now = tonumber(${argv} or '')
if now == nil then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
end`;
// Keys expire a minute after their last slot, counted on the same clock (PEXPIRE, not PEXPIREAT).

const ACQUIRE = `${CLOCK('ARGV[2 * #KEYS + 2]')}
local maxHold = tonumber(ARGV[1])
local slot = now
local tats = {}
for i = 1, #KEYS do
  local tat = tonumber(redis.call('HGET', KEYS[i], 't') or '0')
  tats[i] = tat
  local ready = tat - tonumber(ARGV[2 * i + 1])
  if ready > slot then slot = ready end
end
if slot - now <= maxHold then
  for i = 1, #KEYS do
    local next = math.max(tats[i], slot) + tonumber(ARGV[2 * i])
    redis.call('HSET', KEYS[i], 't', string.format('%.3f', next))
    redis.call('PEXPIRE', KEYS[i], math.ceil(math.max(next, tonumber(redis.call('HGET', KEYS[i], 'b') or '0')) - now + 60000))
  end
  return { 1, string.format('%.3f', slot - now) }
end
local back = slot
for i = 1, #KEYS do
  local b = tonumber(redis.call('HGET', KEYS[i], 'b') or '0')
  if b > back then back = b end
end
for i = 1, #KEYS do
  local next = back + tonumber(ARGV[2 * i])
  redis.call('HSET', KEYS[i], 'b', string.format('%.3f', next))
  redis.call('PEXPIRE', KEYS[i], math.ceil(math.max(next, tats[i]) - now + 60000))
end
return { 0, string.format('%.3f', back - now) }
`;

// KEYS: the hashes; ARGV[1] = milliseconds from now before which no slot is given; ARGV[2] as
// ACQUIRE's clock.
const PENALISE = `${CLOCK('ARGV[2]')}
local until_ = now + tonumber(ARGV[1])
for i = 1, #KEYS do
  local tat = tonumber(redis.call('HGET', KEYS[i], 't') or '0')
  if until_ > tat then
    redis.call('HSET', KEYS[i], 't', string.format('%.3f', until_))
    redis.call('PEXPIRE', KEYS[i], math.ceil(until_ - now + 60000))
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
  const clock = () => (options.now ? options.now().toFixed(3) : '');

  return {
    async acquire(keys, holdMs = maxHoldMs) {
      if (keys.length === 0) return { granted: true, waitMs: 0 };
      const [granted, ms] = await client.sgRateAcquire(
        keys.length,
        ...keys.map((k) => name(k.key)),
        holdMs,
        ...keys.flatMap((k) => [interval(k.rule).toFixed(3), (interval(k.rule) * ((k.rule.burst ?? 1) - 1)).toFixed(3)]),
        clock(),
      );
      const value = Math.max(0, Math.ceil(Number(ms)));
      return granted === 1 ? { granted: true, waitMs: value } : { granted: false, retryInMs: value };
    },
    async penalise(keys, ms) {
      if (keys.length === 0 || !(ms > 0)) return;
      await client.sgRatePenalise(keys.length, ...keys.map((k) => name(k.key)), Math.ceil(ms), clock());
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
 * Takes a send's slot on each of its keys in turn, narrowest first (the conversation, then the
 * tenant), waiting for each. One slot for all keys at once would reserve the tenant's slot as
 * far ahead as the busiest conversation's, and so hold back every other conversation of the
 * tenant behind one busy triage channel; in turn, the tenant's slot is taken only when the send
 * is about to go.
 */
async function takeSlots(limiter: RateLimiter, keys: readonly LimitedKey[], holdMs?: number): Promise<Acquired> {
  for (const key of keys) {
    const slot = await limiter.acquire([key], holdMs);
    if (!slot.granted) return slot;
    if (slot.waitMs > 0) await sleep(slot.waitMs);
  }
  return { granted: true, waitMs: 0 };
}

/**
 * The same sender, paced by the shared limiter. A send that would wait longer than the
 * limiter's hold throws SendDeferredError; a platform 429 blocks the send's keys for its
 * Retry-After and is rethrown carrying retryAfterMs (deliverReminder then retries it).
 */
export function rateLimitSender(
  sender: ChannelSender,
  limiter: RateLimiter,
  limits: PlatformRateLimits = PLATFORM_RATE_LIMITS,
  options: { updateHoldMs?: number } = {},
): ChannelSender {
  const updateHoldMs = options.updateHoldMs ?? UPDATE_HOLD_MS;
  async function paced<T>(conversation: StoredConversationRef, call: () => Promise<T>, holdMs?: number): Promise<T> {
    const keys = limitedKeysFor(sender.platform, conversation, limits);
    const slot = await takeSlots(limiter, keys, holdMs);
    if (!slot.granted) throw new SendDeferredError(slot.retryInMs);
    try {
      return await call();
    } catch (error) {
      const retryAfterMs = platformRetryAfterMs(error);
      if (retryAfterMs === undefined) throw error;
      await limiter.penalise(keys.slice(0, 1), retryAfterMs);
      throw Object.assign(error as Error, { retryAfterMs });
    }
  }
  return {
    platform: sender.platform,
    send: (conversation, message) => paced(conversation, () => sender.send(conversation, message)),
    update: (conversation, messageId, message) => paced(conversation, () => sender.update(conversation, messageId, message), updateHoldMs),
    ...(sender.openPersonal ? { openPersonal: sender.openPersonal.bind(sender) } : {}),
  };
}

/**
 * A limiter that never stops a send because Redis is down or slow: past `timeoutMs` (or on an
 * error) the slot is granted at once, and the problem is logged at most once a minute. Used by
 * web processes, whose turns must go on through a Redis outage.
 */
export function failOpenLimiter(limiter: RateLimiter, logger: { warn(facts: object, message: string): void }, timeoutMs = 250): RateLimiter {
  let lastWarned = 0;
  const warn = (error: unknown) => {
    // Wall time on purpose: how often a log line may repeat is real elapsed time.
    const now = Date.now();
    if (now - lastWarned < 60_000) return;
    lastWarned = now;
    logger.warn({ err: { name: (error as Error | null)?.name ?? 'Error', message: (error as Error | null)?.message } }, 'rate limiter unavailable: sending unpaced');
  };
  const bounded = <T>(work: Promise<T>, fallback: T): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<T>((resolve) => {
      timer = setTimeout(() => {
        warn(new Error(`no answer in ${timeoutMs} ms`));
        resolve(fallback);
      }, timeoutMs);
    });
    const guarded = work.catch((error: unknown) => {
      warn(error);
      return fallback;
    });
    return Promise.race([guarded, timeout]).finally(() => clearTimeout(timer));
  };
  return {
    acquire: (keys, holdMs) => bounded(limiter.acquire(keys, holdMs), { granted: true, waitMs: 0 }),
    penalise: (keys, ms) => bounded(limiter.penalise(keys, ms), undefined),
  };
}

/** Longest a reply in someone's own turn waits for its slot: past this it goes unpaced rather than later. */
export const TURN_REPLY_HOLD_MS = 2_000;

/**
 * Paces one reply of a turn (a separate platform call: a Teams message activity, a Slack
 * chat.postMessage) on the same keys as every other send to that conversation. It waits for
 * its slot and is never deferred: the person is waiting for it.
 */
export async function paceTurnReply(limiter: RateLimiter, platform: ChannelSender['platform'], conversation: StoredConversationRef & { tenantId?: string }, limits: PlatformRateLimits = PLATFORM_RATE_LIMITS): Promise<void> {
  await takeSlots(limiter, limitedKeysFor(platform, conversation, limits), TURN_REPLY_HOLD_MS);
}
