import { z } from 'zod';

// The fields of an inbound activity that botbuilder copies into its replies (from and
// recipient swapped, conversation, ids, locale) or that the bot reads (tenant, text, action
// value). botbuilder validates its replies while sending them, so a mistyped field here would
// otherwise fail the turn halfway with a 500; checked first, it is a clear 400 instead.
// Unknown fields pass through untouched: Teams adds new ones over time.
const optionalString = z.string().optional().nullable();

// botbuilder swaps `from` and `recipient` into every reply: both must be there, with an id.
const account = z.object({ id: z.string(), name: optionalString, aadObjectId: optionalString, role: optionalString }).loose();

const activitySkeleton = z
  .object({
    type: z.string(),
    serviceUrl: z.string(),
    conversation: z
      .object({ id: z.string(), name: optionalString, conversationType: optionalString, tenantId: optionalString, isGroup: z.boolean().optional().nullable() })
      .loose(),
    id: optionalString,
    channelId: optionalString,
    from: account,
    recipient: account,
    locale: optionalString,
    replyToId: optionalString,
    name: optionalString,
    text: optionalString,
    channelData: z
      .object({ tenant: z.object({ id: optionalString }).loose().optional().nullable() })
      .loose()
      .optional()
      .nullable(),
    // botbuilder reads their length (mentions, card actions): an array or absent, never null.
    entities: z.array(z.object({}).loose()).optional(),
    attachments: z.array(z.object({}).loose()).optional(),
  })
  .loose();

const SKELETON = new Set(['', 'type', 'serviceUrl', 'conversation', 'conversation.id', 'from', 'from.id', 'recipient', 'recipient.id']);

/** Null when the body can be handed to botbuilder, else what is wrong with it (field names only, never values). */
export function activityShapeProblem(body: unknown): string | null {
  const result = activitySkeleton.safeParse(body);
  if (result.success) return null;
  const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.')))];
  if (fields.some((field) => SKELETON.has(field))) return 'The body must be a Bot Framework activity (type, serviceUrl, conversation.id, from.id and recipient.id).';
  return `The activity has fields of the wrong type: ${fields.slice(0, 5).join(', ')}.`;
}
