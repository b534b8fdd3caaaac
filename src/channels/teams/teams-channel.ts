/* eslint-disable @typescript-eslint/no-unsafe-enum-comparison -- Bot Framework types activity.type as a string and ActivityTypes as its string enum */
import {
  ActivityTypes,
  CardFactory,
  CloudAdapter,
  ConfigurationBotFrameworkAuthentication,
  StatusCodes,
  TeamsInfo,
  TurnContext,
  type Activity,
  type ConversationReference,
  type Request as BotRequest,
  type Response as BotResponse,
} from 'botbuilder';
import { AuthenticationError, type ConnectorClient, type ConnectorFactory } from 'botframework-connector';
import { withPlainFacts } from '../../cards/plain-facts.js';
import { renderAdaptiveCard } from '../../cards/render.js';
import type { Config } from '../../config.js';
import { createConversationRecorder, type StoredConversation } from '../../db/conversations.js';
import { createActorLookup, linkIdentityByEmail, notInDirectoryMessage, organisationForTenant, type Tenancy } from '../../db/directory.js';
import { tellOfNewLink } from '../../flows/identity-link.js';
import { paceTurnReply, platformRetryAfterMs, type PlatformRateLimits, type RateLimiter } from '../rate-limit.js';

/** The longest Retry-After a reply in someone's turn waits for before it is sent again. */
const TURN_REPLY_RETRY_MAX_MS = 3_000;
import { handleTurn } from '../../flows/router.js';
import type { FlowDeps, OutMessage, TurnResult } from '../../flows/types.js';
import type { Actor } from '../../domain/actor.js';
import type { FileOffers } from '../../http/export-route.js';
import { errorFacts, type ChannelSender } from '../outbox.js';
import type { UrgentCopy } from '../../flows/urgent-copy.js';
import { overBudget, slowTextFor, TURN_BUDGET_MS, TURN_SLOW_TEXT, URGENT_FAULT_TEXT, URGENT_TURN_BUDGET_MS, urgentKeptText, urgentTurnOf } from '../../flows/urgent-turn.js';
import type { UrgentSpool } from '../../flows/urgent-spool.js';
import { activityShapeProblem } from './activity-shape.js';
import type { ServiceUrlPolicy } from './service-url.js';
import { channelConversationId, conversationOf, inboundOf, invokeBody, tenantOf } from './teams-activity.js';

type ActorLookup = ReturnType<typeof createActorLookup>;

const UNSUPPORTED_INVOKE = { statusCode: 400, type: 'application/vnd.microsoft.error', value: { code: 'BadRequest', message: 'This bot does not handle that kind of request.' } };

// Honest: what the turn was doing may not have been saved (a turn is one transaction, or none).
const SORRY = 'Sorry, something went wrong on my side and I could not finish that, so it may not have been saved. Please try again in a moment. If anyone is at immediate risk, call 999.';

/**
 * The Bot Framework adapter. With an app id, every inbound request's JWT is validated by
 * botbuilder; without one (local mode only) requests are accepted unauthenticated.
 */
/** CloudAdapter with its authenticate-then-run step callable, so errors reach our log, not stderr. */
export class TeamsAdapter extends CloudAdapter {
  run(authorization: string, activity: Activity, logic: (context: TurnContext) => Promise<void>) {
    return this.processActivity(authorization, activity, logic);
  }
}

export function createTeamsAdapter(config: Pick<Config, 'MICROSOFT_APP_ID' | 'MICROSOFT_APP_PASSWORD' | 'MICROSOFT_APP_TYPE' | 'MICROSOFT_APP_TENANT_ID'>): TeamsAdapter {
  const auth = new ConfigurationBotFrameworkAuthentication(
    config.MICROSOFT_APP_ID
      ? {
          MicrosoftAppId: config.MICROSOFT_APP_ID,
          MicrosoftAppPassword: config.MICROSOFT_APP_PASSWORD,
          MicrosoftAppType: config.MICROSOFT_APP_TYPE,
          MicrosoftAppTenantId: config.MICROSOFT_APP_TENANT_ID,
        }
      : {},
  );
  return new TeamsAdapter(withoutClientRetries(auth));
}

/** The connector client's own retry policies (@azure/core-rest-pipeline names). */
const RETRY_POLICIES = ['defaultRetryPolicy', 'retryPolicy', 'exponentialRetryPolicy', 'throttlingRetryPolicy', 'systemErrorRetryPolicy'];

function stripRetries(factory: ConnectorFactory): ConnectorFactory {
  return {
    async create(serviceUrl: string, audience?: string) {
      const client = await factory.create(serviceUrl, audience);
      const pipeline = (client as unknown as { client?: { pipeline?: { removePolicy(options: { name: string }): unknown } } }).client?.pipeline;
      for (const name of RETRY_POLICIES) pipeline?.removePolicy({ name });
      return client;
    },
  };
}

/**
 * No retries inside the connector client. A message that is not the reply to a turn is an
 * OutboundMessage row that the workers retry with backoff through the shared limiter, and a
 * turn's own reply must fail fast rather than hang past Teams' deadline: the client would
 * otherwise retry a 5xx for about ten seconds, unpaced (its noRetryPolicy option is ignored).
 */
function withoutClientRetries(auth: ConfigurationBotFrameworkAuthentication): ConfigurationBotFrameworkAuthentication {
  const authenticateRequest = auth.authenticateRequest.bind(auth);
  const createConnectorFactory = auth.createConnectorFactory.bind(auth);
  auth.authenticateRequest = async (activity, authHeader) => {
    const result = await authenticateRequest(activity, authHeader);
    return result.connectorFactory ? { ...result, connectorFactory: stripRetries(result.connectorFactory) } : result;
  };
  auth.createConnectorFactory = (claims) => stripRetries(createConnectorFactory(claims));
  return auth;
}

export function toTeamsActivity(message: OutMessage): Partial<Activity> {
  if (message.card) {
    return { type: ActivityTypes.Message, attachments: [CardFactory.adaptiveCard(withPlainFacts(renderAdaptiveCard(message.card)))] };
  }
  return { type: ActivityTypes.Message, text: message.text ?? '', textFormat: 'plain' };
}

/** A stored reference whose serviceUrl the bot may not call (see service-url.ts): never retried. */
export class UnsafeServiceUrlError extends Error {
  override name = 'UnsafeServiceUrlError';
  readonly code = 'UNSAFE_SERVICE_URL';
}

/** Proactive sends and in-place updates through stored conversation references. */
export function createTeamsSender(adapter: CloudAdapter, appId: string | undefined, serviceUrls: ServiceUrlPolicy): ChannelSender {
  const botAppId = appId ?? '';
  const checked = (reference: unknown) => {
    const problem = serviceUrls.outboundProblem((reference as Partial<ConversationReference>).serviceUrl);
    if (problem) throw new UnsafeServiceUrlError(problem);
    return reference as Partial<ConversationReference>;
  };
  /**
   * Runs `work` in a proactive turn and gives its error back to the caller. An error thrown inside
   * the turn would reach the adapter's onTurnError, which answers a person whose own turn failed
   * with an apology: a failed delivery must never post one into the conversation it was for.
   */
  async function proactive(reference: Partial<ConversationReference>, work: (context: TurnContext) => Promise<void>): Promise<void> {
    let failure: { error: unknown } | undefined;
    await adapter.continueConversationAsync(botAppId, reference, async (context) => {
      try {
        await work(context);
      } catch (error) {
        failure = { error };
      }
    });
    if (failure) throw failure.error;
  }
  return {
    platform: 'TEAMS',
    async send(conversation, message) {
      const reference = checked(conversation.reference);
      let id = '';
      await proactive(reference, async (context) => {
        // sendToConversation, not a reply: in a channel this starts a new post.
        const client = context.turnState.get<ConnectorClient>(context.adapter.ConnectorClientKey);
        const activity = TurnContext.applyConversationReference({ ...toTeamsActivity(message) }, reference);
        delete activity.replyToId;
        const response = await client.conversations.sendToConversation(reference.conversation!.id, activity);
        id = response?.id ?? '';
      });
      if (!id) throw new Error('Teams did not return an activity id');
      return id;
    },
    async update(conversation, messageId, message) {
      await proactive(checked(conversation.reference), async (context) => {
        await context.updateActivity({ ...toTeamsActivity(message), id: messageId });
      });
    },
  };
}

interface Trust {
  /** Requests carry a Bot Framework JWT that botbuilder validated. */
  authenticated: boolean;
  tenancy: Tenancy;
}

/** Who is acting: from the activity the Bot Framework delivered, never from card data. */
async function resolveActor(deps: FlowDeps, lookup: ActorLookup, trust: Trust, context: TurnContext): Promise<Actor | null> {
  const activity = context.activity;
  const aadObjectId = activity.from?.aadObjectId;
  if (!aadObjectId) return null;
  const tenantId = tenantOf(activity);
  const known = await lookup('TEAMS', tenantId, aadObjectId);
  if (known || !trust.authenticated) return known;
  if (!(await organisationForTenant(deps.db, 'TEAMS', tenantId, trust.tenancy))) return null;
  // First contact on a validated request: ask Teams (at the serviceUrl the token vouches
  // for) for the user's e-mail, and link them to the directory entry with that e-mail.
  try {
    const member = await TeamsInfo.getMember(context, activity.from.id);
    const email = member.email ?? member.userPrincipalName;
    const linked = email ? await linkIdentityByEmail(deps.db, 'TEAMS', tenantId, aadObjectId, email, trust.tenancy, deps.clock.now()) : null;
    if (linked?.created) await tellOfNewLink(deps, linked.actor);
    return linked?.actor ?? null;
  } catch (error) {
    deps.logger.warn({ err: errorFacts(error) }, 'could not look up Teams member');
    return null;
  }
}

/** The reference Teams needs to write to this conversation later. */
function storedConversation(context: TurnContext, actor: Actor): StoredConversation {
  const conversation = conversationOf(context.activity);
  // Without the activity id, later messages start new posts instead of replying to this one.
  const { activityId: _replyTo, ...reference } = TurnContext.getConversationReference(context.activity);
  if (conversation.kind === 'CHANNEL' && reference.conversation) {
    // Keep the channel itself, so new triage cards start new threads rather than replies.
    reference.conversation = { ...reference.conversation, id: channelConversationId(reference.conversation.id) };
  }
  return {
    platform: 'TEAMS',
    conversationId: conversation.conversationId,
    kind: conversation.kind,
    tenantId: tenantOf(context.activity),
    personId: conversation.kind === 'PERSONAL' ? actor.personId : null,
    reference,
  };
}

/** Local mode: a channel pinned to one playground keeps that playground's serviceUrl (service-url.ts). */
function pinnedWhereSet(conversation: StoredConversation, serviceUrls: ServiceUrlPolicy): StoredConversation {
  const serviceUrl = serviceUrls.pinnedServiceUrl(conversation.conversationId);
  return serviceUrl ? { ...conversation, reference: { ...conversation.reference, serviceUrl } } : conversation;
}

/** Set on a turn whose HTTP answer went before it finished (an urgent turn over its budget). */
const ANSWERED_EARLY = Symbol('answeredEarly');

/** Where the replies of a turn go when the platform refuses them: the person's queued messages. */
type QueueReplies = (messages: OutMessage[], error: unknown) => Promise<void>;

async function respond(context: TurnContext, result: TurnResult, isInvoke: boolean, queue?: QueueReplies): Promise<void> {
  const personal = conversationOf(context.activity).kind === 'PERSONAL';
  const replies: OutMessage[] = [];
  if (isInvoke && context.turnState.get(ANSWERED_EARLY)) {
    // The HTTP answer went before the turn finished: the card it changed is updated in place,
    // and the notice is said in the chat (in a channel only the actor may see it: not there).
    if (!result.refused && result.updatedCard && context.activity.replyToId) {
      await context.updateActivity({ ...toTeamsActivity({ card: result.updatedCard }), id: context.activity.replyToId });
    }
    if (result.notice && personal) replies.push({ text: result.notice });
  } else if (isInvoke) {
    const card = !result.refused && result.updatedCard ? withPlainFacts(renderAdaptiveCard(result.updatedCard)) : undefined;
    await context.sendActivity({
      type: ActivityTypes.InvokeResponse,
      value: { status: 200, body: invokeBody(card, card ? undefined : result.notice) },
    });
    // In a personal chat the notice also stays in the conversation; in a channel it
    // would be seen by everyone, so it only ever goes in the private invoke response.
    if (card && result.notice && personal) replies.push({ text: result.notice });
  } else if (result.notice) {
    replies.push({ text: result.notice });
  }
  replies.push(...result.replies);
  for (let i = 0; i < replies.length; i += 1) {
    try {
      await context.sendActivity(toTeamsActivity(replies[i]!));
    } catch (error) {
      // The platform refused a reply (an outage, throttling past the one retry): it and the
      // rest are queued for the person, in order, rather than lost, and the turn stands.
      if (!queue) throw error;
      await queue(replies.slice(i), error);
      return;
    }
  }
}

/** Files for the actor alone: a signed link each, in their personal chat (never in a channel). */
async function offerFiles(context: TurnContext, deps: FlowDeps, files: FileOffers | undefined, actor: Actor, result: TurnResult): Promise<void> {
  if (!files || !result.files?.length) return;
  const personal = conversationOf(context.activity).kind === 'PERSONAL';
  for (const file of result.files) {
    const offer = await files.offer(actor, file);
    if (personal) await context.sendActivity(toTeamsActivity(offer));
    else await deps.outbox.toPerson(actor.personId, offer, { platform: 'TEAMS' });
  }
}

/**
 * Every reply of the turn that is a separate call to the connector (not the invoke response)
 * takes its slot on the conversation and tenant like every other message (rate-limit.ts).
 */
function paceReplies(context: TurnContext, limiter: RateLimiter, limits?: PlatformRateLimits): void {
  const { conversation, recipient } = context.activity;
  const reference = { conversation: { id: conversation.id, tenantId: tenantOf(context.activity) }, bot: { id: recipient.id } };
  const target = { conversationId: conversation.id.split(';')[0]!, reference };
  context.onSendActivities(async (_context, activities, next) => {
    const replies = activities.filter((activity) => activity.type !== ActivityTypes.InvokeResponse).length;
    for (let i = 0; i < replies; i += 1) await paceTurnReply(limiter, 'TEAMS', target, limits);
    try {
      return await next();
    } catch (error) {
      // Throttled all the same (another bot of the tenant, jitter): the person is waiting for
      // this reply, so it is sent again once, after the Retry-After, rather than lost.
      const retryAfterMs = platformRetryAfterMs(error);
      if (replies === 0 || retryAfterMs === undefined || retryAfterMs > TURN_REPLY_RETRY_MAX_MS) throw error;
      await new Promise((resolve) => setTimeout(resolve, retryAfterMs));
      return next();
    }
  });
}

/**
 * The /api/messages handler: check the activity's shape and serviceUrl, verify (botbuilder),
 * resolve the actor, dispatch, answer.
 */
export function createTeamsHandler(
  adapter: TeamsAdapter,
  deps: FlowDeps,
  options: { serviceUrls: ServiceUrlPolicy; tenancy: Tenancy; files?: FileOffers; limiter?: RateLimiter; limits?: PlatformRateLimits; urgentCopy?: UrgentCopy; urgentSpool?: UrgentSpool; runUrgent?: <T>(work: () => T) => T },
) {
  const { serviceUrls, files } = options;
  const trust: Trust = { authenticated: serviceUrls.authenticated, tenancy: options.tenancy };
  const record = createConversationRecorder(deps.db);
  const rememberConversation = (context: TurnContext, actor: Actor) => record(pinnedWhereSet(storedConversation(context, actor), serviceUrls));
  const lookup = createActorLookup(deps.db, { tenancy: options.tenancy });
  /** The organisation's urgent routes from the copy this process holds, with `text`: as the invoke answer, or a message. */
  const urgentAnswer = (context: TurnContext, text: string) => {
    const copy = options.urgentCopy!;
    const message = copy.routesCard(copy.organisationFor('TEAMS', tenantOf(context.activity)), text);
    // Once the HTTP answer has gone (answered early), only a message can still reach the person.
    return context.activity.type === 'invoke' && !context.turnState.get(ANSWERED_EARLY)
      ? { type: ActivityTypes.InvokeResponse, value: { status: 200, body: invokeBody(withPlainFacts(renderAdaptiveCard(message.card!)), undefined) } }
      : toTeamsActivity(message);
  };
  const isUrgent = (context: TurnContext) => {
    const inbound = options.urgentCopy ? inboundOf(context.activity) : null;
    return inbound ? urgentTurnOf(inbound) : undefined;
  };

  adapter.onTurnError = async (context, error) => {
    deps.logger.error({ err: errorFacts(error), activityType: context.activity.type }, 'Teams turn failed');
    const urgent = isUrgent(context);
    if (urgent) {
      // Someone may be at risk: never a bare apology. Their organisation's routes, and the truth:
      // kept to pass on when the records are back (only once it is on disk), else not recorded.
      const activity = context.activity;
      const aadObjectId = activity.from?.aadObjectId;
      const kept =
        aadObjectId &&
        options.urgentSpool?.keep({
          platform: 'TEAMS',
          tenantId: tenantOf(activity),
          platformUserId: aadObjectId,
          how: activity.type === ActivityTypes.Invoke ? 'button' : urgent === 'said' ? 'words' : 'typed-yes',
          ...(typeof activity.text === 'string' ? { words: activity.text } : {}),
        });
      await context.sendActivity(urgentAnswer(context, kept ? urgentKeptText(kept.reference, urgent) : URGENT_FAULT_TEXT));
    } else if (context.activity.type === 'invoke' && !context.turnState.get(ANSWERED_EARLY)) {
      await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body: invokeBody(undefined, SORRY) } });
    } else {
      await context.sendActivity(toTeamsActivity({ text: SORRY }));
    }
  };

  /**
   * A turn that has not finished within its budget has its HTTP request answered at once (the
   * platform would otherwise give up on it) and goes on with its context alive; what it says at
   * the end reaches the person as messages. An urgent turn's budget is short and its early answer
   * is the organisation's urgent routes from the copy this process holds; it runs on the pool
   * kept for urgent turns.
   */
  const logic = async (context: TurnContext, answerNow: (invokeBody?: unknown) => void) => {
    const urgent = isUrgent(context);
    const work = urgent && options.runUrgent ? options.runUrgent(() => turnLogic(context)) : turnLogic(context);
    if (!(await overBudget(work, urgent ? URGENT_TURN_BUDGET_MS : TURN_BUDGET_MS))) return work;
    if (!urgent) {
      deps.logger.warn({ activityType: context.activity.type, budgetMs: TURN_BUDGET_MS }, 'turn over its budget: answered now, it goes on');
      context.turnState.set(ANSWERED_EARLY, true);
      answerNow(context.activity.type === ActivityTypes.Invoke ? invokeBody(undefined, TURN_SLOW_TEXT) : undefined);
      return work;
    }
    deps.logger.warn({ activityType: context.activity.type }, 'urgent turn over its budget: routes given from the urgent copy');
    const early = urgentAnswer(context, slowTextFor(urgent));
    context.turnState.set(ANSWERED_EARLY, true);
    if (early.type === ActivityTypes.InvokeResponse) answerNow((early.value as { body: unknown }).body);
    else {
      answerNow();
      await context.sendActivity(early);
    }
    return work;
  };

  const turnLogic = async (context: TurnContext) => {
    const activity = context.activity;
    if (activity.type === ActivityTypes.ConversationUpdate || activity.type === ActivityTypes.InstallationUpdate) {
      // The app was installed or a chat opened: keep the reference so the bot can write
      // to this person or channel later, without waiting for them to speak first.
      const actor = await resolveActor(deps, lookup, trust, context);
      if (actor && conversationOf(activity).kind === 'PERSONAL') await rememberConversation(context, actor);
      return;
    }
    const inbound = inboundOf(activity);
    if (!inbound) {
      // An invoke left unanswered makes botbuilder reply 501; one the bot does not offer is bad input.
      if (activity.type === ActivityTypes.Invoke) {
        await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 400, body: UNSUPPORTED_INVOKE } });
      }
      return;
    }
    const isInvoke = inbound.kind === 'action';
    if (options.limiter) paceReplies(context, options.limiter, options.limits);
    const actor = await resolveActor(deps, lookup, trust, context);
    if (!actor) {
      const message = await notInDirectoryMessage(deps.db, 'TEAMS', tenantOf(activity), options.tenancy);
      await respond(context, { replies: isInvoke ? [] : [{ text: message }], notice: isInvoke ? message : undefined, refused: true }, isInvoke);
      return;
    }
    // A personal chat is where the person's own messages go; a channel or group chat is kept
    // only after a turn that was not refused (a refused "bind triage" leaves no trace of it).
    const personal = inbound.conversation.kind === 'PERSONAL';
    if (personal) await rememberConversation(context, actor);
    const result = await handleTurn(deps, actor, inbound);
    if (!personal && !result.refused) await rememberConversation(context, actor);
    const queue: QueueReplies | undefined = personal
      ? async (messages, error) => {
          deps.logger.warn({ err: errorFacts(error), replies: messages.length }, 'Teams refused a turn reply: queued for the person');
          for (const message of messages) await deps.outbox.toPerson(actor.personId, message, { platform: 'TEAMS', conversationId: inbound.conversation.conversationId });
        }
      : undefined;
    await respond(context, result, isInvoke, queue);
    if (isInvoke && !personal && result.updatedCard && result.notice && result.noticeMatters) {
      await deps.outbox.toPerson(actor.personId, { text: result.notice }, { platform: 'TEAMS', existingOnly: true });
    }
    await offerFiles(context, deps, files, actor, result);
  };

  // What CloudAdapter.process does, without its console.error of the whole error (a stack on
  // stderr for every unauthenticated request) and without echoing the error's message to the
  // caller: failures go to the structured log as facts, the caller gets a status and a sentence.
  return async (req: BotRequest, res: BotResponse) => {
    const authorization = req.headers?.authorization ?? req.headers?.Authorization;
    const problem = activityShapeProblem(req.body) ?? serviceUrls.inboundProblem((req.body as { serviceUrl?: unknown }).serviceUrl);
    if (problem) {
      res.status(StatusCodes.BAD_REQUEST);
      res.send({ error: problem });
      res.end();
      return;
    }
    let answered = false;
    const answerNow = (body?: unknown) => {
      if (answered) return;
      answered = true;
      res.status(StatusCodes.OK);
      if (body !== undefined) res.send(body);
      res.end();
    };
    try {
      const activity = validateActivity(req.body as unknown as Activity);
      const invokeResponse = await adapter.run(typeof authorization === 'string' ? authorization : '', activity, (context) => logic(context, answerNow));
      if (answered) return;
      res.status(invokeResponse?.status ?? StatusCodes.OK);
      if (invokeResponse?.body !== undefined) res.send(invokeResponse.body);
      res.end();
    } catch (error) {
      if (answered) {
        deps.logger.error({ err: errorFacts(error) }, 'turn failed after its early answer');
        return;
      }
      const unauthorized = error instanceof AuthenticationError;
      deps.logger[unauthorized ? 'warn' : 'error']({ err: errorFacts(error) }, unauthorized ? 'Teams request not authenticated' : 'Teams request failed');
      res.status(unauthorized ? StatusCodes.UNAUTHORIZED : StatusCodes.INTERNAL_SERVER_ERROR);
      res.send({ error: unauthorized ? 'Unauthorized.' : 'Something went wrong on our side.' });
      res.end();
    }
  };
}

/** The timestamp fields arrive as strings; botbuilder's turn expects Dates (as its own process() makes them). */
function validateActivity(activity: Activity): Activity {
  const raw = activity as Activity & Record<string, unknown>;
  for (const field of ['timestamp', 'expiration', 'localTimestamp'] as const) {
    const value = raw[field];
    if (typeof value === 'string') {
      raw[`raw${field[0]!.toUpperCase()}${field.slice(1)}`] = value;
      raw[field] = new Date(value);
    }
  }
  return activity;
}
