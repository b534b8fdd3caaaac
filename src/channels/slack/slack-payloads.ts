import { z } from 'zod';
import { BadSlackRequest } from './slack-receiver.js';

// The fields the listeners read from a verified Slack payload, checked before anything is
// done with them. A signature proves who sent a payload, not that its fields have the types
// Slack documents (a proxy, a replay tool or a bug can send `channel: 5` or `user: null`);
// a payload that does not fit is bad input, answered as such by the receiver.

const id = z.string().min(1).max(64);
const team = z.object({ id }).loose().nullable().optional();

export const messageEvent = z
  .object({
    channel: id,
    channel_type: z.string().optional(),
    subtype: z.string().optional(),
    bot_id: z.string().nullable().optional(),
    user: id.optional(),
    text: z.string().optional(),
  })
  .loose();

export const eventEnvelope = z.object({ team_id: id }).loose();

export const blockAction = z
  .object({
    team,
    user: z.object({ id, team_id: id.optional() }).loose(),
    channel: z.object({ id }).loose().optional(),
    message: z.object({ ts: z.string() }).loose().optional(),
    trigger_id: z.string().optional(),
  })
  .loose();

export const pressedButton = z.object({ action_id: z.string(), type: z.string(), value: z.string().optional() }).loose();

export const viewSubmission = z
  .object({
    team,
    user: z.object({ id, team_id: id.optional() }).loose(),
    view: z.object({ private_metadata: z.string().optional() }).loose(),
  })
  .loose();

export const slashCommand = z.object({ team_id: id, user_id: id, channel_id: id, channel_name: z.string().optional(), text: z.string().default('') }).loose();

export const homeOpened = z.object({ user: id, tab: z.string().optional() }).loose();

/** The payload as `schema` describes it, or a BadSlackRequest naming the fields (never their values). */
export function parsePayload<T extends z.ZodType>(schema: T, payload: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(payload);
  if (result.success) return result.data;
  const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(payload)'))].slice(0, 5);
  throw new BadSlackRequest(`The Slack ${what} has missing or mistyped fields: ${fields.join(', ')}.`);
}

/** The workspace of an interaction: the team, else the user's. */
export function teamOf(body: { team?: { id: string } | null; user: { team_id?: string | undefined } }): string {
  return body.team?.id ?? body.user.team_id ?? '';
}
