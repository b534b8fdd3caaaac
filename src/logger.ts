import { pino, type Logger as PinoLogger } from 'pino';
import { currentRequestId } from './request-context.js';

export type Logger = PinoLogger;

/** The log field carrying the id of the turn or sweep a line belongs to (pino-http's name for it). */
export const REQUEST_ID_FIELD = 'reqId';

/**
 * Structured logs. Message text, summaries, advice, record content, card input, names and
 * secrets never go into a log line (log-hygiene.test.ts checks whole journeys); these paths
 * are redacted as a second line of defence in case one slips through.
 */
export const REDACTED_PATHS = [
  // free text and card input
  'text',
  'summary',
  'advice',
  'availability',
  'adjustments',
  'outcome',
  'note',
  'description',
  'value',
  'body',
  'activity.text',
  'activity.value',
  '*.text',
  '*.summary',
  '*.advice',
  '*.value',
  '*.body',
  // credentials, wherever a header bag or config object ends up
  'authorization',
  'cookie',
  'headers.authorization',
  'headers.cookie',
  'headers["x-slack-signature"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  '*.headers.authorization',
  '*.headers.Authorization',
  'config.headers.Authorization',
  'password',
  '*.password',
  'token',
  '*.token',
  'botToken',
  '*.botToken',
  'signingSecret',
  '*.signingSecret',
  'secret',
  '*.secret',
  'MICROSOFT_APP_PASSWORD',
  'SLACK_BOT_TOKEN',
  'SLACK_SIGNING_SECRET',
  'LINK_SECRET',
];

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      base: undefined,
      // Every line logged inside a turn (HTTP request) or a sweep, or by the worker for a job
      // that turn or sweep queued, carries its id.
      mixin() {
        const id = currentRequestId();
        return id ? { [REQUEST_ID_FIELD]: id } : {};
      },
    },
    options.destination as pino.DestinationStream | undefined,
  );
}

/**
 * An error listener that logs one line per distinct error a minute, with how many were left
 * out since the last line: a dependency that is down retries every second or so, and a line per
 * retry would bury everything else.
 */
export function onceAMinute(logger: Pick<Logger, 'warn'>, message: string, intervalMs = 60_000): (error: Error) => void {
  const last = new Map<string, { at: number; suppressed: number }>();
  return (error) => {
    const key = `${error.name}:${error.message}`;
    // Wall time on purpose: how often a log line may repeat is real elapsed time.
    const now = Date.now();
    const seen = last.get(key);
    if (seen && now - seen.at < intervalMs) {
      seen.suppressed += 1;
      return;
    }
    last.set(key, { at: now, suppressed: 0 });
    logger.warn({ err: { name: error.name, message: error.message }, ...(seen?.suppressed ? { repeated: seen.suppressed } : {}) }, message);
  };
}
