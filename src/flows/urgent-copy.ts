// The urgent routes of every organisation, held by each web process (issue 22): a person who
// says someone is at risk must get their organisation's own routes (999, the duty line in
// office hours, the 24/7 line, the Emergency Duty Team out of hours) even when PostgreSQL is down
// or slow, so the routes must not need it at that moment.
//
// Loaded at start and refreshed every minute (so a change made with the org CLI, another
// process, reaches it within a minute); every successful load is also written to a file (URGENT_COPY_FILE),
// the last-known copy a process starts from when PostgreSQL is unreachable. What it cannot know,
// it does not invent: with no copy at all the card carries the 999 line alone.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { loadAllOrganisations, type OrganisationContext } from '../db/organisations.js';
import { isWithinServiceHours } from '../domain/service-time.js';
import type { Clock } from '../domain/time.js';
import { describeNextOnDuty } from '../domain/triage.js';
import { urgentRoutes, type Contact, type ContactLine } from '../domain/urgent-routes.js';
import type { Logger } from '../logger.js';
import { urgentRoutesCard } from './cards.js';
import type { OutMessage } from './types.js';
import type { Platform } from '../domain/actor.js';

export interface UrgentOrganisation {
  id: string;
  name: string;
  teamsTenantId: string | null;
  slackTeamId: string | null;
  config: Pick<OrganisationContext['config'], 'timeZone' | 'serviceHours'>;
  contacts: Contact[];
}

/** What the file holds; read back loosely checked (a damaged file is ignored, never trusted in part). */
const copyFile = z.object({
  savedAt: z.string(),
  organisations: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      teamsTenantId: z.string().nullable(),
      slackTeamId: z.string().nullable(),
      config: z.object({ timeZone: z.string(), serviceHours: z.unknown() }).loose(),
      contacts: z.array(
        z.object({ kind: z.string(), label: z.string(), phone: z.string().nullish(), email: z.string().nullish(), url: z.string().nullish(), availability: z.string().nullish() }),
      ),
    }),
  ),
});

/** The routes when nothing is known of the organisation: the emergency services alone. */
const EMERGENCY_ONLY: ContactLine[] = [{ label: 'Police or ambulance: when someone is in immediate danger or there is a risk to life', detail: '999' }];

export interface UrgentCopy {
  /** The organisation of a platform tenant (Teams tenant, Slack workspace); in local mode the only one. */
  organisationFor(platform: Platform, tenantId: string | undefined): UrgentOrganisation | undefined;
  /** The urgent routes card with `text` under it, for the organisation (or 999 alone when unknown). */
  routesCard(organisation: UrgentOrganisation | undefined, text: string): OutMessage;
  /** Loads again from PostgreSQL (and saves the file); keeps the last copy if that fails. */
  refresh(): Promise<boolean>;
  stop(): void;
}

export function createUrgentCopy(deps: { db: Db; clock: Clock; logger: Pick<Logger, 'info' | 'warn'>; file?: string; localMode: boolean; refreshMs?: number }): UrgentCopy {
  let organisations: UrgentOrganisation[] = readCopy(deps.file, deps.logger);
  let refreshing: Promise<boolean> | undefined;

  async function load(): Promise<boolean> {
    try {
      organisations = (await loadAllOrganisations(deps.db)).map((org) => ({
        id: org.id,
        name: org.name,
        teamsTenantId: org.teamsTenantId,
        slackTeamId: org.slackTeamId,
        config: { timeZone: org.config.timeZone, serviceHours: org.config.serviceHours },
        contacts: org.contacts.map((c) => ({ kind: c.kind, label: c.label, phone: c.phone, email: c.email, url: c.url, availability: c.availability })),
      }));
      if (deps.file) saveCopy(deps.file, organisations, deps.clock.now());
      return true;
    } catch (error) {
      deps.logger.warn({ err: { name: (error as Error)?.name, code: (error as { code?: string })?.code } }, 'urgent routes not refreshed: the last copy is kept');
      return false;
    }
  }

  const timer = setInterval(() => void copy.refresh(), deps.refreshMs ?? 60_000);
  timer.unref();

  const copy: UrgentCopy = {
    organisationFor(platform, tenantId) {
      if (deps.localMode) return organisations[0];
      if (!tenantId) return undefined;
      return organisations.find((o) => (platform === 'TEAMS' ? o.teamsTenantId : o.slackTeamId) === tenantId);
    },
    routesCard(organisation, text) {
      if (!organisation) return { card: urgentRoutesCard(EMERGENCY_ONLY, text) };
      const now = deps.clock.now();
      const { timeZone, serviceHours } = organisation.config;
      let inHours = false;
      let offDuty = '';
      try {
        inHours = isWithinServiceHours(now, serviceHours, timeZone);
        if (!inHours) offDuty = ` The safeguarding team is not on duty until ${describeNextOnDuty(now, serviceHours, timeZone)}.`;
      } catch {
        // Hours that cannot be read: the out-of-hours routes, which are there at any hour.
      }
      return { card: urgentRoutesCard(urgentRoutes(organisation.contacts, inHours), `${text}${offDuty}`) };
    },
    refresh() {
      refreshing ??= load().finally(() => {
        refreshing = undefined;
      });
      return refreshing;
    },
    stop() {
      clearInterval(timer);
    },
  };
  void copy.refresh();
  return copy;
}

function readCopy(file: string | undefined, logger: Pick<Logger, 'info' | 'warn'>): UrgentOrganisation[] {
  if (!file) return [];
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch {
    return []; // no copy yet
  }
  try {
    const parsed = copyFile.parse(JSON.parse(raw));
    logger.info({ savedAt: parsed.savedAt, organisations: parsed.organisations.length }, 'urgent routes read from the last-known copy');
    return parsed.organisations as UrgentOrganisation[];
  } catch {
    logger.warn({ file: path.basename(file) }, 'the last-known copy of the urgent routes is damaged: ignored');
    return [];
  }
}

/** Written whole or not at all (a temporary file renamed over the old one). */
function saveCopy(file: string, organisations: UrgentOrganisation[], now: Date): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify({ savedAt: now.toISOString(), organisations }), { mode: 0o600 });
  renameSync(temporary, file);
}
