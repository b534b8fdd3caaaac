// Is PostgreSQL there? One answer for a start that may go on without it (main.ts), the urgent
// replay that waits for it (flows/urgent-replay.ts) and the readiness probe (app.ts).
import type { Db } from './client.js';

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'P1001', 'P1002', '57P03']);

/** Connection failures (nothing answers, or not yet), found anywhere in the error's causes. */
export function isUnreachable(error: unknown): boolean {
  const seen = new Set<unknown>();
  const visit = (e: unknown): boolean => {
    if (!e || typeof e !== 'object' || seen.has(e)) return false;
    seen.add(e);
    const { code, cause, errors, message } = e as { code?: unknown; cause?: unknown; errors?: unknown; message?: unknown };
    if (typeof code === 'string' && CONNECTION_CODES.has(code)) return true;
    // node-postgres says these without a code: a proxy or pooler that answers while PostgreSQL does not, and its own connect timeout.
    if (typeof message === 'string' && /Connection terminated|timeout exceeded when trying to connect/i.test(message)) return true;
    return visit(cause) || (Array.isArray(errors) && errors.some(visit));
  };
  return visit(error);
}

/** One round trip; throws what the driver threw. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.$queryRaw`SELECT 1`;
}

/** Whether PostgreSQL answers a round trip now. */
export function databaseAnswers(db: Db): Promise<boolean> {
  return pingDatabase(db).then(
    () => true,
    () => false,
  );
}
