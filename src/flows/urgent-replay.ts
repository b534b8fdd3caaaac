// Replaying the urgent spool (urgent-spool.ts) once PostgreSQL answers again: each kept report
// becomes an urgent request exactly once (the triage channel alerted, the person told "your report
// is now with the team"), or, when it cannot (the person was removed meanwhile), is kept in
// PostgreSQL as HELD and the organisation's administrators are told its reference. Nothing is
// dropped silently.
import { describeWhen } from '../domain/service-time.js';
import type { Tenancy } from '../db/directory.js';
import { findActor, organisationForTenant } from '../db/directory.js';
import { loadOrganisation } from '../db/organisations.js';
import { databaseAnswers } from '../db/reachability.js';
import { currentDraft, withWords, type DraftData, type KeptWords } from './intake-draft.js';
import type { FlowDeps, StagedMessage } from './types.js';
import type { SpoolEntry, UrgentSpool } from './urgent-spool.js';
import { recordUrgentRequest } from './urgent-request.js';

/**
 * A report the turn itself managed to record after all (its transaction committed before the
 * connection failed) is not recorded twice: an urgent request by the same person from this long
 * before the report, or later, is taken to be it.
 */
const SAME_REPORT_WINDOW_MS = 2 * 60_000;

/**
 * An entry that fails this many replays, over at least this long, while PostgreSQL answers, is
 * held for the administrators: a table locked for a minute fails every entry for a minute, and
 * says nothing about them.
 */
const MAX_REPLAY_FAILURES = 5;
const HOLD_AFTER_FAILING_FOR_MS = 10 * 60_000;

export interface ReplayFigures {
  replayed: number;
  held: number;
  /** Left in the spool for the next replay (PostgreSQL not answering yet, or a passing failure). */
  waiting: number;
}

export function createSpoolReplay(deps: FlowDeps, spool: UrgentSpool, tenancy: Tenancy) {
  const failures = new Map<string, { count: number; since: number }>();
  let running: Promise<ReplayFigures> | undefined;

  async function replayOne(entry: SpoolEntry): Promise<'replayed' | 'held'> {
    const { db, clock } = deps;
    const done = await db.spooledReport.findUnique({ where: { id: entry.id }, select: { status: true } });
    if (done) return done.status === 'HELD' ? 'held' : 'replayed';
    const receivedAt = new Date(entry.receivedAt);
    const now = clock.now();
    const actor = await findActor(db, entry.platform, entry.tenantId ?? '', entry.platformUserId, tenancy);
    if (!actor) {
      await hold(entry, 'the person is no longer in the directory (removed or made inactive since they sent it)');
      return 'held';
    }
    const org = await loadOrganisation(db, actor.organisationId);
    const draft = await currentDraft(deps, actor);
    const when = describeWhen(receivedAt, now, org.config.timeZone);
    const already = await db.supervisionRequest.findFirst({
      where: { requesterId: actor.personId, urgency: 'URGENT', createdAt: { gte: new Date(receivedAt.getTime() - SAME_REPORT_WINDOW_MS) } },
      select: { id: true, reference: true },
      orderBy: { createdAt: 'asc' },
    });
    if (entry.how === 'typed-yes' && !already && draft?.step !== 'risk') {
      // Not an answer to the risk question after all (nor recorded by the turn itself): no alert, and the person is told so.
      await recordOutcome(entry, actor.organisationId, 'NOT_RISK', now, [
        {
          to: 'person',
          personId: actor.personId,
          message: {
            text: `The "yes" you sent ${when}, while my records were unavailable, did not answer my question about risk, so I have not alerted the safeguarding team with it. If anyone is at risk now, use the urgent routes I gave you, or tell me again.`,
          },
          options: { platform: entry.platform },
        },
      ]);
      return 'replayed';
    }
    // Their words, else what the draft they answered the risk question from holds.
    const data: DraftData = withWords(draft?.step === 'risk' ? draft.data : {}, entry.text ? { text: entry.text, leftOut: (entry.leftOut ?? []) as KeptWords['leftOut'] } : undefined);
    const staged = await db.$transaction(async (tx) => {
      let request = already;
      const ids: string[] = [];
      if (!request) {
        const recorded = await recordUrgentRequest(
          deps,
          tx,
          { organisationId: actor.organisationId, requesterId: actor.personId, platform: entry.platform, ...(data.summary ? { summary: data.summary } : {}) },
          org,
          now,
          { keptAs: entry.reference, receivedAt: entry.receivedAt },
        );
        request = recorded.request;
        ids.push(...recorded.staged);
        // The risk question they answered is answered: the draft moves on as a live answer would.
        if (draft?.step === 'risk') {
          await tx.requestDraft.updateMany({
            where: { personId: actor.personId, step: 'risk' },
            data: { step: 'kind', data: { ...data, immediateRisk: true }, requestId: request.id, updatedAt: now },
          });
        }
      } else if (entry.text) {
        // The same report (or a second one sent minutes later): their words join it, not lost.
        const current = await tx.supervisionRequest.findUniqueOrThrow({ where: { id: request.id }, select: { summary: true } });
        if (!current.summary?.includes(entry.text)) {
          await tx.supervisionRequest.update({ where: { id: request.id }, data: { summary: withWords({ ...(current.summary ? { summary: current.summary } : {}) }, { text: entry.text, leftOut: [] }).summary ?? current.summary } });
        }
      }
      ids.push(
        ...(await deps.outbox.stage(tx, [
          {
            to: 'person',
            personId: actor.personId,
            message: {
              text: `The urgent report you sent ${when} (kept as ${entry.reference} while my records were unavailable) is now with the safeguarding team: reference ${request.reference}. If anyone is at risk now, use the urgent routes I gave you, or call 999.`,
            },
            options: { platform: entry.platform, about: request.id },
          },
        ])),
      );
      await tx.spooledReport.create({
        data: {
          id: entry.id,
          organisationId: actor.organisationId,
          platform: entry.platform,
          platformUserId: entry.platformUserId,
          tenantId: entry.tenantId,
          receivedAt,
          replayedAt: now,
          status: 'REPLAYED',
          requestId: request.id,
        },
      });
      return ids;
    });
    await deps.outbox.send(staged);
    deps.logger.info({ reference: entry.reference, recordedBefore: Boolean(already) }, 'urgent report replayed from the spool');
    return 'replayed';
  }

  /** The entry's outcome, and what it says, in one transaction. */
  async function recordOutcome(entry: SpoolEntry, organisationId: string, status: 'NOT_RISK', now: Date, messages: StagedMessage[]): Promise<void> {
    const staged = await deps.db.$transaction(async (tx) => {
      await tx.spooledReport.create({
        data: { id: entry.id, organisationId, platform: entry.platform, platformUserId: entry.platformUserId, tenantId: entry.tenantId, receivedAt: new Date(entry.receivedAt), replayedAt: now, status },
      });
      return deps.outbox.stage(tx, messages);
    });
    await deps.outbox.send(staged);
    deps.logger.info({ reference: entry.reference, status }, 'kept answer replayed from the spool');
  }

  /** Kept in PostgreSQL with its reason, and the administrators told (its reference and why, never the words). */
  async function hold(entry: SpoolEntry, reason: string): Promise<void> {
    const { db, clock } = deps;
    const now = clock.now();
    const organisation = entry.tenantId ? await organisationForTenant(db, entry.platform, entry.tenantId, tenancy) : null;
    const staged = await db.$transaction(async (tx) => {
      await tx.spooledReport.create({
        data: {
          id: entry.id,
          organisationId: organisation?.id ?? null,
          platform: entry.platform,
          platformUserId: entry.platformUserId,
          tenantId: entry.tenantId,
          receivedAt: new Date(entry.receivedAt),
          replayedAt: now,
          status: 'HELD',
          reason,
          ...(entry.text ? { summary: entry.text } : {}),
        },
      });
      if (!organisation) return [];
      const admins = await tx.person.findMany({ where: { organisationId: organisation.id, active: true, roles: { has: 'ADMINISTRATOR' } }, select: { id: true } });
      const when = describeWhen(new Date(entry.receivedAt), now, organisation.timeZone);
      return deps.outbox.stage(
        tx,
        admins.map((admin) => ({
          to: 'person' as const,
          personId: admin.id,
          message: {
            text: `An urgent report sent ${when} on ${entry.platform === 'TEAMS' ? 'Teams' : 'Slack'}, kept as ${entry.reference} while the database was unavailable, could not be recorded: ${reason}. Please follow it up today: "failed reminders" lists it with the sender's platform id.`,
          },
        })),
      );
    });
    await deps.outbox.send(staged);
    deps.logger.error({ reference: entry.reference, organisationId: organisation?.id ?? null }, 'urgent report from the spool held: administrators told');
  }

  async function replayAll(): Promise<ReplayFigures> {
    const figures: ReplayFigures = { replayed: 0, held: 0, waiting: 0 };
    const entries = spool.entries();
    for (const [index, entry] of entries.entries()) {
      try {
        figures[await replayOne(entry)] += 1;
        spool.remove(entry.id);
        failures.delete(entry.id);
      } catch (error) {
        // While PostgreSQL is away every entry fails alike: that says nothing about the entry.
        if (!(await databaseAnswers(deps.db))) {
          figures.waiting += entries.length - index;
          break;
        }
        const earlier = failures.get(entry.id);
        const count = (earlier?.count ?? 0) + 1;
        const since = earlier?.since ?? deps.clock.now().getTime();
        failures.set(entry.id, { count, since });
        deps.logger.warn({ reference: entry.reference, failures: count, err: { name: (error as Error)?.name, code: (error as { code?: string })?.code } }, 'urgent report not replayed yet');
        if (count >= MAX_REPLAY_FAILURES && deps.clock.now().getTime() - since >= HOLD_AFTER_FAILING_FOR_MS) {
          try {
            await hold(entry, `it failed ${count} times to be recorded (${(error as Error)?.name ?? 'error'})`);
            spool.remove(entry.id);
            failures.delete(entry.id);
            figures.held += 1;
            continue;
          } catch {
            // Still not possible: it stays in the spool.
          }
        }
        // This entry waits for the next replay; the others go on.
        figures.waiting += 1;
      }
    }
    return figures;
  }

  return {
    /** One replay at a time per process; entries replayed by another process are recognised by id. */
    replay(): Promise<ReplayFigures> {
      running ??= replayAll().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}
