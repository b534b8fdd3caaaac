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

/** Who the newcomer can be: one playground each, since a playground cannot switch user. */
export const LOCAL_USERS = [
  { key: 'paramedic', as: 'a paramedic asking for help (personal chat)' },
  { key: 'specialist', as: 'a safeguarding specialist working the triage channel' },
  { key: 'admin', as: 'the safeguarding administrator' },
] as const;

export const LOCAL_TEAM = { teamName: 'Safeguarding Team', channelName: 'Safeguarding triage' };

const PLAYGROUND_DIR = fileURLToPath(new URL('../../.playground/', import.meta.url));

export function localPlaygroundConfig() {
  return {
    tenantId: DEMO_TENANT_ID,
    users: DEMO_PEOPLE.map((p) => ({ key: p.key, name: p.name, email: p.email, aadObjectId: p.aadObjectId })),
    ...LOCAL_TEAM,
  };
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
  await bindLocalTriageChannel(db, playgroundServiceUrl(playgrounds.get('specialist')!));

  const lines = LOCAL_USERS.map((u) => `  ${playgrounds.get(u.key)!.url.padEnd(28)} ${demoPerson(u.key).name}, ${u.as}`);
  console.log(
    [
      '',
      'SG Supervision Bot is running in local mode (no Teams or Slack credentials set).',
      'Open the Agents Playground as one of these people:',
      ...lines,
      '',
      `Try it: as ${demoPerson('paramedic').name}, say hello in Personal Chat. As ${demoPerson('specialist').name},`,
      `open "${LOCAL_TEAM.teamName} - ${LOCAL_TEAM.channelName}" to see the request card, Claim it and Give advice.`,
      'The triage channel is already bound to the specialist\'s playground; open it only there.',
      '',
    ].join('\n'),
  );
  return {
    stop: async () => {
      await Promise.all([...playgrounds.values()].map((p) => p.stop()));
    },
  };
}
