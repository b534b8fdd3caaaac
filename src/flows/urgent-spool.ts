// The urgent spool (issue 22): when an urgent turn cannot be recorded in PostgreSQL, what matters
// (who, when, that someone is at risk, the words checked for patient detail) is kept here until
// PostgreSQL answers again, then replayed once (urgent-replay.ts).
//
// Why files on the web process's own disk: the spool must not depend on anything that may be down
// with the database (Redis is a second dependency that can fail at the same time, and keeps its
// data in memory by default). Each entry is its own file, written to a temporary name, flushed to
// disk (fsync) and renamed, so an entry is either whole or absent, and the person is told it is
// kept only once it is on disk. It survives the process crashing or restarting and the machine
// rebooting; it does not survive the loss of the disk (a container without a volume, a lost
// machine): the README says to give URGENT_SPOOL_DIR a persistent volume.
import { randomUUID } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Clock } from '../domain/time.js';
import type { Logger } from '../logger.js';
import { keptWords } from './intake-draft.js';
import type { Platform } from '../domain/actor.js';

const spoolEntry = z.object({
  id: z.string().uuid(),
  /** Short, said to the person and shown to administrators: "K-1A2B3C4D". */
  reference: z.string(),
  receivedAt: z.string().datetime(),
  platform: z.enum(['TEAMS', 'SLACK']),
  tenantId: z.string().nullable(),
  platformUserId: z.string().min(1),
  /** The "Yes" button, words the cue rules read as risk, or a typed yes (urgent only if it answered the risk question). */
  how: z.enum(['button', 'words', 'typed-yes']),
  /** Their words with identifiers left out (as a turn keeps them), if any could be kept. */
  text: z.string().optional(),
  leftOut: z.array(z.string()).optional(),
});
export type SpoolEntry = z.infer<typeof spoolEntry>;

/**
 * At most this many entries wait (a few hundred bytes each): a flood of turns during an outage
 * cannot fill the disk; past it a report is not kept, and the person is told it was not.
 */
export const MAX_SPOOL_ENTRIES = 10_000;

/** The short reference of an entry, said to the person and listed for administrators. */
export function spoolReference(id: string): string {
  return `K-${id.slice(0, 8).toUpperCase()}`;
}

export interface SpoolInput {
  platform: Platform;
  tenantId: string | undefined;
  platformUserId: string;
  how: SpoolEntry['how'];
  /** The words as typed; checked here, never stored unchecked. */
  words?: string;
}

export interface UrgentSpool {
  /** Keeps the report on disk; null when it could not be (the person must not be told it was). */
  keep(input: SpoolInput): SpoolEntry | null;
  /** The entries waiting, oldest first; damaged files are moved aside (and logged), never trusted. */
  entries(): SpoolEntry[];
  /** Forgets an entry once PostgreSQL holds it. */
  remove(id: string): void;
}

export function createUrgentSpool(deps: { dir: string; clock: Clock; logger: Pick<Logger, 'info' | 'warn' | 'error'> }): UrgentSpool {
  const fileOf = (id: string) => path.join(deps.dir, `${id}.json`);
  return {
    keep(input) {
      const id = randomUUID();
      const words = input.words ? keptWords(input.words) : undefined;
      const entry: SpoolEntry = {
        id,
        reference: spoolReference(id),
        receivedAt: deps.clock.now().toISOString(),
        platform: input.platform,
        tenantId: input.tenantId ?? null,
        platformUserId: input.platformUserId,
        how: input.how,
        ...(words ? { text: words.text, ...(words.leftOut.length ? { leftOut: words.leftOut } : {}) } : {}),
      };
      try {
        mkdirSync(deps.dir, { recursive: true, mode: 0o700 });
        if (readdirSync(deps.dir).length >= MAX_SPOOL_ENTRIES) {
          deps.logger.error({ limit: MAX_SPOOL_ENTRIES }, 'the urgent spool is full: a report was not kept');
          return null;
        }
        writeDurably(fileOf(id), JSON.stringify(entry));
      } catch (error) {
        deps.logger.error({ err: { name: (error as Error)?.name, code: (error as { code?: string })?.code } }, 'urgent report could not be kept in the spool');
        return null;
      }
      deps.logger.warn({ reference: entry.reference }, 'urgent report kept in the spool until PostgreSQL answers');
      return entry;
    },
    entries() {
      let names: string[];
      try {
        names = readdirSync(deps.dir).filter((name) => name.endsWith('.json'));
      } catch {
        return []; // no spool yet
      }
      const entries: SpoolEntry[] = [];
      for (const name of names) {
        const file = path.join(deps.dir, name);
        try {
          entries.push(spoolEntry.parse(JSON.parse(readFileSync(file, 'utf8'))));
        } catch {
          // Not replayable as it is: kept aside for a person to look at, and said loudly.
          mkdirSync(path.join(deps.dir, 'damaged'), { recursive: true, mode: 0o700 });
          renameSync(file, path.join(deps.dir, 'damaged', name));
          deps.logger.error({ file: name }, 'a damaged urgent spool entry was moved to the damaged folder: look at it by hand');
        }
      }
      return entries.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt));
    },
    remove(id) {
      try {
        unlinkSync(fileOf(id));
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOENT') throw error;
      }
    },
  };
}

/** Written whole or not at all, and on disk before this returns. */
function writeDurably(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, file);
  const dir = openSync(path.dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
