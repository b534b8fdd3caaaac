import { App, LogLevel } from '@slack/bolt';
import { WebClient, WebClientEvent, type WebClientOptions } from '@slack/web-api';
import { renderAdaptiveCard } from '../../cards/render.js';
import { createConversationRecorder } from '../../db/conversations.js';
import { createActorLookup, linkIdentityByEmail, notInDirectoryMessage, organisationForTenant, type Tenancy } from '../../db/directory.js';
import { auditFileUpload } from '../../db/export-files.js';
import { tellOfNewLink } from '../../flows/identity-link.js';
import { paceTurnReply, type PlatformRateLimits, type RateLimiter } from '../rate-limit.js';
import { handleTurn } from '../../flows/router.js';
import { requestFormsCard } from '../../flows/triage-actions.js';
import type { CardRef, ConversationInfo, FlowDeps, Inbound, OutMessage, TurnResult } from '../../flows/types.js';
import type { Actor } from '../../domain/actor.js';
import type { UrgentCopy } from '../../flows/urgent-copy.js';
import { overBudget, slowTextFor, URGENT_FAULT_TEXT, urgentKeptText, urgentTurnOf } from '../../flows/urgent-turn.js';
import type { UrgentSpool } from '../../flows/urgent-spool.js';
import type { Logger } from '../../logger.js';
import { errorFacts, type ChannelSender } from '../outbox.js';
import { baseActionId, cardToBlocks, escapeMrkdwn, OPEN_URL_ACTION, SHOW_CARD_PREFIX, showCardToModal, type AdaptiveCard } from './block-kit.js';
import { embedForms, formCardOf } from './slack-forms.js';
import { blockAction, eventEnvelope, homeOpened, messageEvent, parsePayload, pressedButton, slashCommand, teamOf, viewSubmission } from './slack-payloads.js';
import { createSlackReceiver } from './slack-receiver.js';

export interface SlackConfig {
  signingSecret: string;
  botToken: string;
  /** Web API base (tests and proxies); Slack's own by default. */
  apiUrl?: string;
}

// Honest: what the turn was doing may not have been saved (a turn is one transaction, or none).
const SORRY = 'Sorry, something went wrong on my side and I could not finish that, so it may not have been saved. Please try again in a moment. If anyone is at immediate risk, call 999.';
/** How long a Slack user's directory e-mail is remembered between users.info calls. */
const EMAIL_CACHE_MS = 10 * 60_000;

/** A Slack message (blocks plus notification text) for a card or a plain text. */
export function toSlackMessage(message: OutMessage): { text: string; blocks?: unknown[] } {
  if (message.card) {
    const card = renderAdaptiveCard(message.card) as AdaptiveCard;
    const { blocks, text } = cardToBlocks(card, 'message');
    return { text, blocks: embedForms(card, blocks) };
  }
  return { text: escapeMrkdwn(message.text ?? '') };
}

export function createSlackWebClient(config: SlackConfig, logger: Logger): WebClient {
  const options: WebClientOptions = {
    // 429s wait for Retry-After and are retried by the client; 5xx are retried with backoff.
    rejectRateLimitedCalls: false,
    retryConfig: { retries: 5, factor: 2, minTimeout: 200, maxTimeout: 5_000, randomize: true },
    logLevel: LogLevel.ERROR,
    ...(config.apiUrl ? { slackApiUrl: config.apiUrl } : {}),
  };
  const client = new WebClient(config.botToken, options);
  client.on(WebClientEvent.RATE_LIMITED, (retryAfter: number) => logger.warn({ retryAfter }, 'Slack rate limited a call; waiting'));
  return client;
}

/** Proactive sends and in-place updates, through the channel id stored as the reference. */
export function createSlackSender(client: WebClient): ChannelSender {
  const channelOf = (reference: unknown) => (reference as { channel: string }).channel;
  return {
    platform: 'SLACK',
    async send(conversation, message) {
      const result = await client.chat.postMessage({ channel: channelOf(conversation.reference), ...toSlackMessage(message) });
      if (!result.ts) throw new Error('Slack did not return a message ts');
      return result.ts;
    },
    async update(conversation, messageId, message) {
      await client.chat.update({ channel: channelOf(conversation.reference), ts: messageId, ...toSlackMessage(message) });
    },
    async openPersonal(who) {
      let userId = who.platformUserId;
      let teamId = who.tenantId;
      if (!userId) {
        try {
          const found = await client.users.lookupByEmail({ email: who.email });
          userId = found.user?.id;
          teamId = found.user?.team_id;
        } catch (error) {
          if ((error as { data?: { error?: string } }).data?.error === 'users_not_found') return null;
          throw error;
        }
      }
      if (!userId) return null;
      const opened = await client.conversations.open({ users: userId });
      const channel = opened.channel?.id;
      if (!channel) throw new Error('Slack did not open a direct message');
      return { conversationId: channel, reference: { channel, teamId: teamId ?? '' }, tenantId: teamId ?? '', platformUserId: userId };
    },
  };
}

function conversationFor(channel: string): ConversationInfo {
  // D: a direct message with the bot; C and G: public and private channels; others: group DMs.
  const kind = channel.startsWith('D') ? 'PERSONAL' : channel.startsWith('C') || channel.startsWith('G') ? 'CHANNEL' : 'GROUP';
  return { platform: 'SLACK', kind, conversationId: channel };
}

/** Input values from a Slack `state.values`, keyed by input id (the action_id). */
export function stateValues(state: unknown): Record<string, string> {
  const values: Record<string, string> = {};
  const blocks = (state as { values?: Record<string, Record<string, Record<string, unknown>>> } | undefined)?.values ?? {};
  for (const block of Object.values(blocks)) {
    for (const [actionId, input] of Object.entries(block)) {
      const selected = input.selected_option as { value?: string } | null | undefined;
      const picked = [input.value, input.selected_date, input.selected_time].find((v): v is string => typeof v === 'string');
      // A multi-select sends selected_options; join the values with commas, as Teams'
      // Input.ChoiceSet with isMultiSelect does.
      const many = Array.isArray(input.selected_options)
        ? (input.selected_options as Array<{ value?: unknown }>)
            .map((o) => o?.value)
            .filter((v): v is string => typeof v === 'string' && v !== '')
            .join(',')
        : undefined;
      const value = picked ?? selected?.value ?? many;
      if (typeof value === 'string' && value !== '') values[actionId] = value;
    }
  }
  return values;
}

function parseValue(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'string' || raw === '') return {};
  try {
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * The Slack channel: Bolt in HTTP mode on the shared Express server. Listeners acknowledge
 * at once, resolve the actor from the verified request's user and team, call the same
 * platform-neutral handlers as Teams and render the same cards as Block Kit.
 */
export function createSlackChannel(options: {
  config: SlackConfig;
  deps: FlowDeps;
  client: WebClient;
  tenancy?: Tenancy;
  buildHome?: (personId: string) => Promise<CardRef>;
  limiter?: RateLimiter;
  limits?: PlatformRateLimits;
  urgentCopy?: UrgentCopy;
  urgentSpool?: UrgentSpool;
  /** Runs an urgent turn on the pool kept for urgent turns. */
  runUrgent?: <T>(work: () => T) => T;
}) {
  const { deps, client } = options;
  const tenancy = options.tenancy ?? 'pinned';
  const logger = deps.logger;
  const receiver = createSlackReceiver({ signingSecret: options.config.signingSecret, db: deps.db, logger, clock: deps.clock });
  const botToken = options.config.botToken;
  // A single-workspace app: the token is known, so no auth.test round trip per event.
  const app = new App({ receiver, authorize: async () => ({ botToken }), client, ignoreSelf: false, logLevel: LogLevel.ERROR } as never);
  const lookup = createActorLookup(deps.db, { tenancy });
  // Expires by wall time (real elapsed time for a cache), not the product's clock.
  const emails = new Map<string, { email: string | null; expires: number }>();

  async function emailOf(userId: string): Promise<string | null> {
    const hit = emails.get(userId);
    if (hit && hit.expires > Date.now()) return hit.email;
    const info = await client.users.info({ user: userId });
    const email = info.user?.deleted || info.user?.is_bot ? null : (info.user?.profile?.email ?? null);
    emails.set(userId, { email, expires: Date.now() + EMAIL_CACHE_MS });
    return email;
  }

  /** The user and team come from a request whose signature was verified; the e-mail from Slack's users.info. */
  async function resolveActor(teamId: string, userId: string): Promise<Actor | null> {
    const known = await lookup('SLACK', teamId, userId);
    if (known) return known;
    if (!(await organisationForTenant(deps.db, 'SLACK', teamId, tenancy))) return null;
    try {
      const email = await emailOf(userId);
      const linked = email ? await linkIdentityByEmail(deps.db, 'SLACK', teamId, userId, email, tenancy, deps.clock.now()) : null;
      if (linked?.created) await tellOfNewLink(deps, linked.actor);
      return linked?.actor ?? null;
    } catch (error) {
      logger.warn({ err: errorFacts(error) }, 'could not look up Slack user');
      return null;
    }
  }

  const record = createConversationRecorder(deps.db);
  const remember = (actor: Actor, teamId: string, conversation: ConversationInfo) =>
    record({
      platform: 'SLACK',
      conversationId: conversation.conversationId,
      kind: conversation.kind,
      tenantId: teamId,
      personId: conversation.kind === 'PERSONAL' ? actor.personId : null,
      reference: { channel: conversation.conversationId, teamId },
    });

  /** Cards the outbox keeps up to date itself (triage cards): updating them here too would repeat the call. */
  async function isPostedCard(channel: string, ts: string): Promise<boolean> {
    const posted = await deps.db.postedCard.findUnique({
      where: { platform_conversationId_messageId: { platform: 'SLACK', conversationId: channel, messageId: ts } },
      select: { id: true },
    });
    return posted !== null;
  }

  /** Text for one person only: in their DM as a message, elsewhere as an ephemeral message. */
  async function tellPrivately(channel: string, userId: string, text: string, teamId?: string): Promise<void> {
    const escaped = escapeMrkdwn(text);
    if (conversationFor(channel).kind === 'PERSONAL') {
      await pace(channel, teamId);
      await client.chat.postMessage({ channel, text: escaped });
    }
    else await client.chat.postEphemeral({ channel, user: userId, text: escaped });
  }

  /** A reply in someone's turn takes its slot on the channel like every other message (rate-limit.ts). */
  async function pace(channel: string, teamId: string | undefined): Promise<void> {
    if (options.limiter) await paceTurnReply(options.limiter, 'SLACK', { conversationId: channel, reference: { channel, teamId: teamId ?? '' }, tenantId: teamId ?? '' }, options.limits);
  }

  async function deliver(result: TurnResult, where: { channel: string; userId: string; messageTs?: string; teamId?: string; respond?: (message: OutMessage) => Promise<void> }, actor?: Actor): Promise<void> {
    if (result.updatedCard && !result.refused && where.messageTs && !(await isPostedCard(where.channel, where.messageTs))) {
      try {
        await client.chat.update({ channel: where.channel, ts: where.messageTs, ...toSlackMessage({ card: result.updatedCard }) });
      } catch (error) {
        // The pressed card keeps its old look; its buttons are refused as stale, and the turn stands.
        logger.warn({ err: errorFacts(error) }, 'Slack refused the update of the pressed card');
      }
    }
    const replies: Array<{ message: OutMessage; send: () => Promise<void> }> = [];
    const notice = result.notice;
    const respond = where.respond;
    if (notice) replies.push({ message: { text: notice }, send: () => (respond ? respond({ text: notice }) : tellPrivately(where.channel, where.userId, notice, where.teamId)) });
    for (const reply of result.replies) {
      replies.push({
        message: reply,
        send: respond ? () => respond(reply) : async () => {
          await pace(where.channel, where.teamId);
          await client.chat.postMessage({ channel: where.channel, ...toSlackMessage(reply) });
        },
      });
    }
    for (let i = 0; i < replies.length; i += 1) {
      try {
        await replies[i]!.send();
      } catch (error) {
        // Slack refused a reply (an outage, a rate limit): in the person's DM it and the rest are
        // queued for them, in order, rather than lost, and the turn stands.
        if (!actor || conversationFor(where.channel).kind !== 'PERSONAL') throw error;
        logger.warn({ err: errorFacts(error), replies: replies.length - i }, 'Slack refused a turn reply: queued for the person');
        for (const rest of replies.slice(i)) await deps.outbox.toPerson(actor.personId, rest.message, { platform: 'SLACK', conversationId: where.channel });
        break;
      }
    }
    if (actor) await uploadFiles(result, where, actor);
  }

  /** Files for the actor alone: uploaded to their DM with the bot (files.uploadV2), each audited. */
  async function uploadFiles(result: TurnResult, where: { channel: string; userId: string }, actor: Actor): Promise<void> {
    if (!result.files?.length) return;
    let channel = where.channel;
    if (conversationFor(channel).kind !== 'PERSONAL') {
      const opened = await client.conversations.open({ users: where.userId });
      if (!opened.channel?.id) throw new Error('Slack did not open a direct message');
      channel = opened.channel.id;
    }
    for (const file of result.files) {
      let uploaded: unknown;
      try {
        uploaded = await client.files.uploadV2({ channel_id: channel, file: file.content, filename: file.filename, title: file.title });
      } catch (error) {
        // The rest of the turn stands; the person is told which file is missing, and why in general terms.
        logger.warn({ err: errorFacts(error), filename: file.filename }, 'Slack file upload failed');
        await tellPrivately(channel, where.userId, `I could not send you the file "${file.filename}": Slack refused the upload. Please ask again in a moment; if it keeps happening, ask your administrator to check the app has the files:write permission.`);
        continue;
      }
      const files = (uploaded as { files?: Array<{ files?: Array<{ id?: string }> }> }).files;
      await auditFileUpload(deps.db, actor, file, files?.[0]?.files?.[0]?.id ?? null, deps.clock.now());
    }
  }

  /** One turn from any Slack surface: identity, reference, handler, delivery. */
  // Turns go on after Slack's ack: they are tracked so a shutdown (and a test) can wait for them.
  const inFlight = new Set<Promise<void>>();
  function turn(input: TurnInput): Promise<void> {
    const run = runTurn(input);
    inFlight.add(run);
    void run.then(
      () => inFlight.delete(run),
      () => inFlight.delete(run),
    );
    return run;
  }

  type TurnInput = {
    teamId: string;
    userId: string;
    channel: string;
    channelName?: string;
    messageTs?: string;
    /** The kind of conversation when the channel id alone cannot tell (a group DM). */
    kind?: ConversationInfo['kind'];
    /** Replies to the one who asked only, through a slash command's response_url, instead of posts. */
    respond?: (message: OutMessage) => Promise<void>;
    inbound: (c: ConversationInfo) => Inbound;
  };

  /** The organisation's urgent routes from the copy this process holds, with `text`, where the person is. */
  async function postUrgentRoutes(input: TurnInput, text: string): Promise<void> {
    const copy = options.urgentCopy!;
    const message = copy.routesCard(copy.organisationFor('SLACK', input.teamId), text);
    await client.chat.postMessage({ channel: input.channel, ...toSlackMessage(message) });
  }

  /**
   * Someone may be at risk now: whatever the database does, their organisation's routes reach them
   * within the urgent budget (urgent-turn.ts), from the copy if the turn is slow or fails.
   */
  async function runTurn(input: TurnInput) {
    const inbound = input.inbound(conversationFor(input.channel));
    const urgent = options.urgentCopy ? urgentTurnOf(inbound) : undefined;
    if (!urgent) return runOrdinaryTurn(input);
    const work = options.runUrgent ? options.runUrgent(() => runOrdinaryTurn(input)) : runOrdinaryTurn(input);
    if (await overBudget(work)) {
      logger.warn({}, 'urgent turn over its budget: routes given from the urgent copy');
      await postUrgentRoutes(input, slowTextFor(urgent)).catch((error: unknown) => logger.error({ err: errorFacts(error) }, 'urgent routes not posted'));
    }
    try {
      await work;
    } catch (error) {
      // Kept to pass on when the records are back (only once it is on disk), else not recorded.
      const kept = options.urgentSpool?.keep({
        platform: 'SLACK',
        tenantId: input.teamId,
        platformUserId: input.userId,
        how: inbound.kind === 'action' ? 'button' : urgent === 'said' ? 'words' : 'typed-yes',
        ...(inbound.kind === 'message' ? { words: inbound.text } : {}),
      });
      await postUrgentRoutes(input, kept ? urgentKeptText(kept.reference, urgent) : URGENT_FAULT_TEXT).catch((postError: unknown) => logger.error({ err: errorFacts(postError) }, 'urgent routes not posted'));
      throw error;
    }
  }

  async function runOrdinaryTurn(input: TurnInput) {
    const conversation = { ...conversationFor(input.channel), ...(input.kind ? { kind: input.kind } : {}), ...(input.channelName ? { name: input.channelName } : {}) };
    const actor = await resolveActor(input.teamId, input.userId);
    if (!actor) {
      await tellPrivately(input.channel, input.userId, await notInDirectoryMessage(deps.db, 'SLACK', input.teamId, tenancy));
      return;
    }
    // As on Teams: a DM is kept at once, a channel only after a turn that was not refused.
    const personal = conversation.kind === 'PERSONAL';
    if (personal) await remember(actor, input.teamId, conversation);
    const result = await handleTurn(deps, actor, input.inbound(conversation));
    if (!personal && !result.refused) await remember(actor, input.teamId, conversation);
    await deliver(result, input, actor);
  }

  /** A form too large to travel in its button is rebuilt from the current state of its subject. */
  async function rebuiltForm(teamId: string, userId: string, value: Record<string, unknown>): Promise<AdaptiveCard | undefined> {
    const data = (value.data ?? {}) as Record<string, unknown>;
    const actor = await resolveActor(teamId, userId);
    if (!actor || typeof data.requestId !== 'string') return undefined;
    try {
      return renderAdaptiveCard(await requestFormsCard(deps, actor, data.requestId));
    } catch {
      return undefined;
    }
  }

  // Direct messages to the bot.
  app.event('message', async ({ event, body }) => {
    const message = parsePayload(messageEvent, event, 'message event');
    if (message.channel_type !== 'im' || message.subtype || message.bot_id || !message.user) return;
    const userId = message.user;
    await turn({
      teamId: parsePayload(eventEnvelope, body, 'event').team_id,
      userId,
      channel: message.channel,
      inbound: (conversation) => ({ kind: 'message', text: message.text ?? '', conversation }),
    });
  });

  // Every button: the same action ids as Teams' Action.Execute verbs.
  app.action(/.*/, async ({ ack, body, action }) => {
    // Checked before the ack, so a payload that does not fit is answered 400.
    const block = parsePayload(blockAction, body, 'interaction');
    const pressed = parsePayload(pressedButton, action, 'action');
    await ack();
    if (pressed.type !== 'button' || !block.channel) return;
    const teamId = teamOf(block);
    const actionId = baseActionId(pressed.action_id);
    if (actionId === OPEN_URL_ACTION) return; // Slack opened the link; nothing to do
    if (actionId.startsWith(SHOW_CARD_PREFIX)) {
      const value = parseValue(pressed.value);
      const form = formCardOf(value) ?? (await rebuiltForm(teamId, block.user.id, value));
      const modal = form ? showCardToModal(form, formCardOf(value) ? pressed.action_id.split('#')[0]! : pressed.action_id) : undefined;
      if (!modal || !block.trigger_id) {
        await tellPrivately(block.channel.id, block.user.id, 'That form is no longer available. Please use the latest card.');
        return;
      }
      await client.views.open({
        trigger_id: block.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'card.form',
          title: { type: 'plain_text', text: modal.title },
          submit: { type: 'plain_text', text: modal.submitLabel },
          close: { type: 'plain_text', text: 'Cancel' },
          blocks: modal.blocks,
          private_metadata: JSON.stringify({ verb: modal.verb, data: modal.data, channel: block.channel.id, ts: block.message?.ts }),
        },
      } as never);
      return;
    }
    await turn({
      teamId,
      userId: block.user.id,
      channel: block.channel.id,
      ...(block.message?.ts ? { messageTs: block.message.ts } : {}),
      inbound: (conversation) => ({
        kind: 'action',
        actionId,
        value: { ...stateValues(block.state), ...parseValue(pressed.value) },
        conversation,
      }),
    });
  });

  // Modal forms (advice, closing with an outcome, and the later issues' forms).
  app.view('card.form', async ({ ack, body, view }) => {
    const submission = parsePayload(viewSubmission, body, 'view submission');
    await ack();
    const meta = parseValue(view.private_metadata) as { verb?: unknown; data?: unknown; channel?: unknown; ts?: unknown };
    if (typeof meta.verb !== 'string' || typeof meta.channel !== 'string') return;
    const data = meta.data && typeof meta.data === 'object' && !Array.isArray(meta.data) ? (meta.data as Record<string, unknown>) : {};
    await turn({
      teamId: teamOf(submission),
      userId: submission.user.id,
      channel: meta.channel,
      ...(typeof meta.ts === 'string' ? { messageTs: meta.ts } : {}),
      inbound: (conversation) => ({
        kind: 'action',
        actionId: meta.verb as string,
        value: { ...stateValues(view.state), ...data },
        conversation,
      }),
    });
  });

  // /supervision [help | new request | bind triage | anything]: binding happens in the
  // channel it is typed in; help typed in a channel or group DM is answered there, to the one
  // who asked only (what the bot does there, with the emergency line); everything else
  // continues in the person's DM with the bot.
  app.command('/supervision', async ({ ack, command: raw, respond }) => {
    const command = parsePayload(slashCommand, raw, 'command');
    await ack();
    const text = command.text.trim() || 'new request';
    const here = conversationFor(command.channel_id);
    const inChannel = here.kind === 'CHANNEL' && /^bind triage( channel)?$/i.test(text);
    // The response_url reaches the person wherever they typed it, bot a member there or not.
    const helpHere = here.kind !== 'PERSONAL' && /^(help|\?)[.!?]*$/i.test(text);
    let channel = command.channel_id;
    if (!inChannel && !helpHere && here.kind !== 'PERSONAL') {
      const opened = await client.conversations.open({ users: command.user_id });
      channel = opened.channel?.id ?? channel;
    }
    await turn({
      teamId: command.team_id,
      userId: command.user_id,
      channel,
      ...(inChannel ? { channelName: command.channel_name } : {}),
      ...(helpHere
        ? {
            // Slack names a group DM's channel "mpdm-..." (its id may look like a channel's).
            kind: command.channel_name?.startsWith('mpdm-') ? ('GROUP' as const) : here.kind,
            respond: async (message: OutMessage) => {
              await respond({ response_type: 'ephemeral', ...toSlackMessage(message) } as never);
            },
          }
        : {}),
      inbound: (conversation) => ({ kind: 'message', text, conversation }),
    });
  });

  // App Home: my requests, my sessions, my action points.
  app.event('app_home_opened', async ({ event, body }) => {
    const opened = parsePayload(homeOpened, event, 'app_home_opened event');
    const teamId = parsePayload(eventEnvelope, body, 'event').team_id;
    if (opened.tab && opened.tab !== 'home') return;
    if (!options.buildHome) return;
    const actor = await resolveActor(teamId, opened.user);
    const card = actor
      ? await options.buildHome(actor.personId)
      : { template: 'not-in-directory', data: { text: await notInDirectoryMessage(deps.db, 'SLACK', teamId, tenancy) } };
    const { blocks } = cardToBlocks(renderAdaptiveCard(card), 'home');
    await client.views.publish({ user_id: opened.user, view: { type: 'home', blocks } } as never);
  });

  app.error(async (error) => {
    logger.error({ err: errorFacts(error) }, 'Slack listener failed');
  });

  return {
    router: receiver.router,
    app,
    sorry: SORRY,
    /** Resolves once every request received and every turn started so far (after its ack) has ended. */
    async settled() {
      await receiver.settled();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
