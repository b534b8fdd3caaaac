import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { saveConversation } from '../db/conversations.js';
import { DEMO_ORGANISATION_SLUG, DEMO_PEOPLE, DEMO_TENANT_ID, demoPerson } from '../db/demo-organisation.js';
import { isDatabaseEmpty, seedDemoOrganisation } from '../db/seed-demo.js';
import type { Logger } from '../logger.js';
import type { ServiceUrlPolicy } from '../channels/teams/service-url.js';
import { DEFAULT_PLAYGROUND_BOT, playgroundIds, startUserPlaygrounds, type UserPlayground } from './playground.js';

/**
 * Who the newcomer can be: every role of the design, one playground each, since a playground
 * cannot switch user (its signed-in user is fixed in its configuration). Six instances cost
 * little memory (README, "Local mode"); the order is the order of the start output and of ports.
 */
export const LOCAL_USERS = [
  { key: 'paramedic', role: 'Frontline staff', tryIt: 'Personal Chat: say hello to ask for help; "my actions" lists your action points.' },
  {
    key: 'specialist',
    role: 'Safeguarding specialist',
    tryIt: 'Open the triage channel (below): each request is a card there. Claim it, Give advice or Book a session.',
  },
  {
    key: 'specialist-2',
    role: 'Supervisor',
    tryIt: 'Personal Chat: confirm or move a session proposed to you, sign the agreement, write the record afterwards.',
  },
  {
    key: 'head',
    role: 'Head of Safeguarding',
    tryIt: 'Personal Chat: "report" (the last quarter) or "report <from> to <to>" (YYYY-MM-DD), "overdue supervision".',
  },
  {
    key: 'ops-manager',
    role: 'Line manager',
    tryIt: 'Personal Chat: "my team"; told (attendance only) when a report misses a session or falls behind.',
  },
  {
    key: 'admin',
    role: 'Administrator',
    tryIt: 'Personal Chat: "organisation settings", "failed reminders"; in a channel, @mention the bot with "bind triage".',
  },
] as const;

export const LOCAL_TEAM = { teamName: 'Safeguarding Team', channelName: 'Safeguarding triage' };

const PLAYGROUND_DIR = fileURLToPath(new URL('../../.playground/', import.meta.url));

export function localPlaygroundConfig() {
  // A playground lists five users besides its own: the other roles first, so they are the ones shown.
  const roleKeys: readonly string[] = LOCAL_USERS.map((u) => u.key);
  const people = [...DEMO_PEOPLE].sort((a, b) => rank(roleKeys, a.key) - rank(roleKeys, b.key));
  return {
    tenantId: DEMO_TENANT_ID,
    users: people.map((p) => ({ key: p.key, name: p.name, email: p.email, aadObjectId: p.aadObjectId })),
    ...LOCAL_TEAM,
  };
}

function rank(keys: readonly string[], key: string): number {
  const i = keys.indexOf(key);
  return i < 0 ? keys.length : i;
}

/**
 * Local mode: every playground shows the team's channels (General and the triage channel) under
 * the same ids, but each playground is its own world. Pin them to one playground (the
 * specialist's): whichever playground a channel turn comes from, the stored reference keeps that
 * address, so an administrator's "bind triage" from their own playground binds the channel for
 * everyone and the triage cards stay with the specialist.
 */
export function pinLocalTeamChannels(serviceUrls: Pick<ServiceUrlPolicy, 'pinLocalConversation'>, ownerServiceUrl: string): void {
  const { channelId, teamId } = playgroundIds(LOCAL_TEAM);
  for (const conversationId of [channelId, teamId]) serviceUrls.pinLocalConversation(conversationId, ownerServiceUrl);
}

/**
 * Local-mode shortcut: make the playground team's channel, as seen by `ownerServiceUrl`'s
 * playground, the triage channel, bound by the demo administrator. Each playground is its
 * own world, so the channel is reached through the specialist's playground.
 */
export async function bindLocalTriageChannel(db: Db, ownerServiceUrl: string): Promise<void> {
  const organisation = await db.organisation.findUniqueOrThrow({ where: { slug: DEMO_ORGANISATION_SLUG } });
  const admin = await db.person.findUniqueOrThrow({
    where: { organisationId_email: { organisationId: organisation.id, email: demoPerson('admin').email } },
  });
  const { channelId, teamId } = playgroundIds(LOCAL_TEAM);
  await saveConversation(db, {
    platform: 'TEAMS',
    conversationId: channelId,
    kind: 'CHANNEL',
    tenantId: DEMO_TENANT_ID,
    reference: {
      channelId: 'msteams',
      serviceUrl: ownerServiceUrl,
      bot: DEFAULT_PLAYGROUND_BOT,
      conversation: { id: channelId, isGroup: true, conversationType: 'channel', tenantId: DEMO_TENANT_ID, name: LOCAL_TEAM.channelName },
      channelData: { tenant: { id: DEMO_TENANT_ID }, team: { id: teamId }, channel: { id: channelId } },
    },
  });
  const binding = { conversationId: channelId, name: LOCAL_TEAM.channelName, boundById: admin.id };
  await db.triageChannel.upsert({
    where: { organisationId_platform: { organisationId: organisation.id, platform: 'TEAMS' } },
    create: { organisationId: organisation.id, platform: 'TEAMS', ...binding },
    update: binding,
  });
}

export function playgroundServiceUrl(playground: Pick<UserPlayground, 'url'>): string {
  return `${playground.url.replace(/\/$/, '')}/_connector`;
}

/**
 * Local mode (no platform credentials): the demo organisation when the database is empty,
 * and one Agents Playground per demo role so a newcomer can try every journey.
 */
export async function startLocalMode(options: { config: Config; db: Db; logger: Logger; serviceUrls?: ServiceUrlPolicy }) {
  const { config, db, logger } = options;
  if (await isDatabaseEmpty(db)) {
    await seedDemoOrganisation(db);
    logger.info('loaded the demo organisation (London Ambulance Service, demo people)');
  }
  if (!config.PLAYGROUND) return { stop: async () => undefined };

  const playgrounds = await startUserPlaygrounds({
    botEndpoint: `http://127.0.0.1:${config.PORT}/api/messages`,
    basePort: config.PLAYGROUND_PORT,
    baseDir: path.join(PLAYGROUND_DIR, 'local'),
    config: localPlaygroundConfig(),
    userKeys: LOCAL_USERS.map((u) => u.key),
    logger: (line) => logger.debug(line),
  });
  // The bot answers activities only from the playgrounds it started (their serviceUrl).
  for (const playground of playgrounds.values()) options.serviceUrls?.allowLocalOrigin(playgroundServiceUrl(playground));
  const channelOwner = playgroundServiceUrl(playgrounds.get('specialist')!);
  if (options.serviceUrls) pinLocalTeamChannels(options.serviceUrls, channelOwner);
  await bindLocalTriageChannel(db, channelOwner);

  console.log(localModeGuide(new Map([...playgrounds].map(([key, p]) => [key, p.url]))));
  return {
    stop: async () => {
      await Promise.all([...playgrounds.values()].map((p) => p.stop()));
    },
  };
}

/** What the start prints: who each playground is, what to try there, and how to reach the bot in a channel. */
export function localModeGuide(urls: ReadonlyMap<string, string>): string {
  const width = Math.max(...LOCAL_USERS.map((u) => u.role.length));
  const channel = `${LOCAL_TEAM.teamName} - ${LOCAL_TEAM.channelName}`;
  const bot = DEFAULT_PLAYGROUND_BOT.name;
  const specialist = demoPerson('specialist').name;
  return [
    '',
    'SG Supervision Bot is running in local mode (no Teams or Slack credentials set).',
    'A playground cannot switch user, so each role has its own: open the address of whoever you want to be,',
    'one browser tab each. Open every one once: the bot can write to someone only after their playground has',
    'been opened (later messages to a closed tab wait for it to open again).',
    '',
    ...LOCAL_USERS.flatMap((u) => {
      const person = demoPerson(u.key);
      return [`  ${u.role.padEnd(width)}  ${urls.get(u.key) ?? '(not started)'}  ${person.name}, ${person.jobTitle}`, `  ${''.padEnd(width)}  ${u.tryIt}`];
    }),
    '',
    `In a channel the bot reads only posts that @mention it: type "@${bot.split(' ')[0]}", pick "${bot}" from the`,
    `list, then write (for example "@${bot} help"). A post without the @mention never reaches the bot.`,
    `The triage channel is "${channel}", already bound. The team's channels belong to ${specialist}'s`,
    'playground: the bot posts its cards there, whichever playground a channel message came from, so',
    '"bind triage" from the administrator\'s playground keeps the cards with the specialist.',
    '',
    `A journey to try: as ${demoPerson('paramedic').name} ask for help; as ${specialist} Claim the card and Book a session`,
    `with ${demoPerson('specialist-2').name}, who confirms it and later writes the record (mark the session "Did not attend" and`,
    `${demoPerson('ops-manager').name}, the line manager, is told within a couple of minutes); then, as ${demoPerson('head').name}, ask for a report.`,
    '',
  ].join('\n');
}
