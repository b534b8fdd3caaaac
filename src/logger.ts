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
