import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

/**
 * Structured logs. Message text, summaries, advice and card input never go into a log
 * line; these paths are redacted as a second line of defence in case one slips through.
 */
export const REDACTED_PATHS = [
  'text',
  'summary',
  'advice',
  'availability',
  'adjustments',
  'value',
  'body',
  'activity.text',
  'activity.value',
  '*.text',
  '*.summary',
  '*.advice',
  'headers.authorization',
  'req.headers.authorization',
  'password',
  '*.password',
];

export function createLogger(options: { level?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  return pino(
    { level: options.level ?? 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: undefined },
    options.destination as pino.DestinationStream | undefined,
  );
}
