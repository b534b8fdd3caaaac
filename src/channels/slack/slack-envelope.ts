import { z } from 'zod';

// The outer shape of a verified Slack body, checked before Bolt sees it. Bolt reads these
// fields without checking them (`'channel' in event`, `body.view.app_installed_team_id`,
// a client pool keyed by team id), so a signed payload with `event: 5` or `team: null` would
// otherwise throw a TypeError inside Bolt. The listeners check the fields they read again
// (slack-payloads.ts); this only makes sure Bolt can route the payload.

const id = z.string().min(1).max(64);
/** A field Bolt looks into when present: a string id or an object, never null or a number. */
const idOrObject = z.union([z.string(), z.object({}).loose()]).optional();

const event = z
  .object({
    type: z.string().min(1),
    user: idOrObject,
    channel: idOrObject,
    item: z.object({}).loose().optional(),
    message: z.object({}).loose().optional(),
    view: z.object({}).loose().optional(),
  })
  .loose();

const eventCallback = z.object({ type: z.literal('event_callback'), team_id: id, event_id: z.string().min(1), event }).loose();

const interactionTypes = ['block_actions', 'view_submission', 'view_closed', 'shortcut', 'message_action', 'block_suggestion'] as const;
const interaction = z
  .object({
    type: z.enum(interactionTypes),
    user: z.object({ id, team_id: id.optional() }).loose(),
    team: z.object({ id }).loose().nullable().optional(),
    channel: z.object({ id }).loose().optional(),
    message: z.object({}).loose().optional(),
    container: z.object({}).loose().optional(),
    actions: z.array(z.object({ action_id: z.string() }).loose()).optional(),
    view: z.object({}).loose().optional(),
  })
  .loose()
  .refine((body) => (body.type === 'view_submission' || body.type === 'view_closed' ? body.view !== undefined : true), { path: ['view'] })
  .refine((body) => (body.type === 'block_actions' ? Array.isArray(body.actions) : true), { path: ['actions'] });

const command = z.object({ command: z.string().min(1), team_id: id, user_id: id, channel_id: id }).loose();

/** What Bolt is given: an event, an interaction or a slash command; everything else is refused. */
export type EnvelopeKind = 'event' | 'interaction' | 'command' | 'rate-limited';

/** The kind of a verified body, or what is wrong with it (field names only, never values). */
export function slackEnvelope(body: Record<string, unknown>): { ok: true; kind: EnvelopeKind } | { ok: false; problem: string } {
  const check = (schema: z.ZodType, kind: EnvelopeKind, what: string) => {
    const result = schema.safeParse(body);
    if (result.success) return { ok: true as const, kind };
    const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(payload)'))].slice(0, 5);
    return { ok: false as const, problem: `The Slack ${what} has missing or mistyped fields: ${fields.join(', ')}.` };
  };
  if (body.type === 'event_callback') return check(eventCallback, 'event', 'event');
  // Slack telling the app it was rate limited: nothing for Bolt to route.
  if (body.type === 'app_rate_limited') return { ok: true, kind: 'rate-limited' };
  if (typeof body.type === 'string' && (interactionTypes as readonly string[]).includes(body.type)) return check(interaction, 'interaction', 'interaction');
  if (body.type === undefined && 'command' in body) return check(command, 'command', 'command');
  return { ok: false, problem: 'This Slack payload is malformed or not one this app handles.' };
}
