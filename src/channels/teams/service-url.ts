// Where the bot may send Teams traffic. An activity's `serviceUrl` is the address botbuilder
// calls back (replies, member look-ups, proactive messages), and the sender writes it: left
// unchecked, anyone who can reach /api/messages chooses a host the bot will call, with the
// bot's token in production. The rule, applied to inbound activities and again to stored
// conversation references before every send:
//   - authenticated (an app id is set): https and a Bot Framework service host. botbuilder
//     also checks that the JWT's `serviceurl` claim equals the activity's serviceUrl.
//   - unauthenticated (local mode only): a loopback address; inbound, one of the origins
//     registered for this process (the Agents Playgrounds it started, a test's connector).
// Local mode also pins the team's channels: every playground shows the same channel ids, but
// each playground is a world of its own, so a channel's stored reference keeps the address of
// the playground it is pinned to, whichever playground a turn in it came from (an
// administrator's "bind triage" from their own playground must not move the triage cards away
// from the specialist's).

/** Hosts of the Bot Framework channel services (public cloud, and the US government clouds). */
const BOT_FRAMEWORK_HOSTS = ['smba.trafficmanager.net', 'smba.infra.gcc.teams.microsoft.com', 'smba.infra.gov.teams.microsoft.us', 'smba.infra.dod.teams.microsoft.us'];
const BOT_FRAMEWORK_SUFFIXES = ['.botframework.com', '.botframework.us', '.botframework.azure.us'];

export function isBotFrameworkHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return BOT_FRAMEWORK_HOSTS.includes(host) || BOT_FRAMEWORK_SUFFIXES.some((suffix) => host.endsWith(suffix));
}

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

function parse(serviceUrl: unknown): URL | null {
  if (typeof serviceUrl !== 'string' || serviceUrl.trim() === '') return null;
  try {
    const url = new URL(serviceUrl);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}

export interface ServiceUrlPolicy {
  readonly authenticated: boolean;
  /** Null when the bot may call this serviceUrl for an inbound activity, else why not (no values). */
  inboundProblem(serviceUrl: unknown): string | null;
  /** The same rule for a stored reference, without the per-process origin list. */
  outboundProblem(serviceUrl: unknown): string | null;
  /** Local mode: accept activities whose serviceUrl has this loopback origin (a playground's). */
  allowLocalOrigin(url: string): void;
  /** Local mode: the conversation lives in the playground at `serviceUrl` (an allowed local origin). */
  pinLocalConversation(conversationId: string, serviceUrl: string): void;
  /** The serviceUrl a conversation is pinned to (local mode), else undefined: store the activity's own. */
  pinnedServiceUrl(conversationId: string): string | undefined;
}

export function createServiceUrlPolicy(options: { authenticated: boolean; localOrigins?: string[] }): ServiceUrlPolicy {
  const localOrigins = new Set<string>();
  const pinned = new Map<string, string>();
  const check = (serviceUrl: unknown, inbound: boolean): string | null => {
    const url = parse(serviceUrl);
    if (!url) return 'The activity serviceUrl must be an http(s) URL.';
    if (options.authenticated) {
      return url.protocol === 'https:' && isBotFrameworkHost(url.hostname) ? null : 'The activity serviceUrl is not a Bot Framework service address.';
    }
    if (!isLoopbackHost(url.hostname)) return 'Without authentication the activity serviceUrl must be a local Agents Playground.';
    if (inbound && !localOrigins.has(url.origin)) return 'The activity serviceUrl is not a playground this bot started.';
    return null;
  };
  const policy: ServiceUrlPolicy = {
    authenticated: options.authenticated,
    inboundProblem: (serviceUrl) => check(serviceUrl, true),
    outboundProblem: (serviceUrl) => check(serviceUrl, false),
    allowLocalOrigin(raw) {
      const url = parse(raw);
      if (options.authenticated || !url || !isLoopbackHost(url.hostname)) throw new Error('only a loopback origin, and only without authentication, can be allowed');
      localOrigins.add(url.origin);
    },
    pinLocalConversation(conversationId, serviceUrl) {
      const url = parse(serviceUrl);
      if (options.authenticated || !url || !localOrigins.has(url.origin)) throw new Error('only a conversation of an allowed local origin, and only without authentication, can be pinned');
      pinned.set(conversationId, serviceUrl);
    },
    pinnedServiceUrl: (conversationId) => pinned.get(conversationId),
  };
  for (const origin of options.localOrigins ?? []) policy.allowLocalOrigin(origin);
  return policy;
}
