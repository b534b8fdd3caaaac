// A burst of reminders for the fault drills and the burst benchmark: one organisation and
// `count` people, each with a Teams personal chat whose serviceUrl is a local connector
// (recording-connector.ts), each with an open unclaimed request and owed one REQUEST_UNCLAIMED
// reminder about it. Every reminder goes to its own conversation, so the conversation id the connector
// records identifies the reminder, and duplicates are counted per conversation.
import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/db/client.js';

export interface Burst {
  organisationId: string;
  tenantId: string;
  reminderIds: string[];
  /** Conversation id → reminder id. */
  byConversation: Map<string, string>;
}

const CHUNK = 2000;

async function inChunks<T>(rows: T[], insert: (chunk: T[]) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await insert(rows.slice(i, i + CHUNK));
}

export async function createReminderBurst(
  db: Db,
  options: {
    count: number;
    serviceUrl: string;
    /** One due time for all, or one per reminder (by index). */
    sendAt: Date | ((index: number) => Date);
    tenantId?: string;
    /** Spread the conversations over this many tenants (default 1). */
    tenants?: number;
    /** The bot's id in the stored references (default 'bot-app'): the rate limiter keys a tenant's budget by it. */
    botId?: string;
  },
): Promise<Burst> {
  const tenantId = options.tenantId ?? `tenant-${randomUUID()}`;
  const org = await db.organisation.create({
    data: { slug: `burst-${randomUUID()}`, name: 'Burst', serviceHours: {}, responseTargets: {}, timeZone: 'UTC' },
  });
  const people = Array.from({ length: options.count }, (_, i) => ({
    id: randomUUID(),
    organisationId: org.id,
    name: `Person ${i}`,
    email: `p${i}-${randomUUID()}@example.nhs.uk`,
    timeZone: 'UTC',
  }));
  await inChunks(people, (chunk) => db.person.createMany({ data: chunk }));
  // One request per reminder: each reminder has a subject of its own, as in real life (cards
  // about one subject to one recipient replace each other; see send-reminder.ts).
  const run = randomUUID().slice(0, 8);
  const requests = people.map((p, i) => ({
    id: randomUUID(),
    organisationId: org.id,
    reference: `SGS-${run}-${i}`,
    requesterId: p.id,
    platform: 'TEAMS' as const,
    immediateRisk: false,
    urgency: 'ROUTINE' as const,
    route: 'SUPERVISION' as const,
  }));
  await inChunks(requests, (chunk) => db.supervisionRequest.createMany({ data: chunk }));
  const tenantOf = (index: number) => (options.tenants && options.tenants > 1 ? `${tenantId}-${index % options.tenants}` : tenantId);
  const sendAtOf = (index: number) => (typeof options.sendAt === 'function' ? options.sendAt(index) : options.sendAt);
  const conversations = people.map((p, index) => {
    const conversationId = `a:${p.id}`;
    const tenant = tenantOf(index);
    return {
      platform: 'TEAMS' as const,
      conversationId,
      kind: 'PERSONAL' as const,
      tenantId: tenant,
      personId: p.id,
      reference: {
        channelId: 'msteams',
        serviceUrl: options.serviceUrl,
        conversation: { id: conversationId, tenantId: tenant, conversationType: 'personal' },
        bot: { id: options.botId ?? 'bot-app', name: 'SG Supervision Bot' },
        user: { id: `29:${p.id}`, aadObjectId: p.id },
      },
    };
  });
  await inChunks(conversations, (chunk) => db.conversationReference.createMany({ data: chunk }));
  const reminders = people.map((p, index) => ({
    id: randomUUID(),
    organisationId: org.id,
    kind: 'REQUEST_UNCLAIMED' as const,
    subjectType: 'SupervisionRequest',
    subjectId: requests[index]!.id,
    recipientKey: `person:${p.id}`,
    recipientId: p.id,
    dueAt: sendAtOf(index),
    sendAt: sendAtOf(index),
  }));
  await inChunks(reminders, (chunk) => db.reminder.createMany({ data: chunk }));
  return {
    organisationId: org.id,
    tenantId,
    reminderIds: reminders.map((r) => r.id),
    byConversation: new Map(reminders.map((r, i) => [conversations[i]!.conversationId, r.id])),
  };
}
