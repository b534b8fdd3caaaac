import { DateTime } from 'luxon';
import { NONE } from './labels.js';
import { isId } from '../domain/ids.js';
import {
  AGREEMENT_KIND_LABELS,
  agreementKindsFor,
  agreementsEvidencedBy,
  assertCanSign,
  contractReviewDue,
  isFullySigned,
  unsignedParties,
  type AgreementKind,
} from '../domain/agreements.js';
import * as booking from '../domain/booking.js';
import { DomainError } from '../domain/errors.js';
import { assertIsParty } from '../domain/permissions.js';
import { recordAudit } from '../db/audit.js';
import type { Db } from '../db/client.js';
import type { Prisma } from '../db/generated/client.js';
import { loadOrganisation } from '../db/organisations.js';
import { parseOrgConfig } from '../domain/org-settings.js';
import { sessionWithPeople } from '../db/sessions.js';
import { sessionUpdateCard } from './booking.js';
import { StaleCardError, type CardRef, type FlowDeps, type StagedMessage, type TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

/**
 * Journey 5: supervision agreements (seeds 000 appendices 1 and 2) and contracts (seeds 001).
 * A confirmed session offers its parties the organisation's latest agreement text; each
 * party signs on their own card; the signature records who (from the platform, never from
 * the card), when, on which platform and which version of the text.
 */

type DbLike = Db | Prisma.TransactionClient;

const agreementInclude = {
  template: true,
  supervisor: { select: { id: true, name: true } },
  session: { select: { id: true, startsAt: true, endsAt: true } },
  parties: { include: { person: { select: { id: true, name: true } } } },
  signatures: { orderBy: { signedAt: 'asc' } },
} satisfies Prisma.AgreementInclude;

type AgreementFull = Prisma.AgreementGetPayload<{ include: typeof agreementInclude }>;

const SIGN_TITLES: Record<AgreementKind, string> = {
  INDIVIDUAL: 'Sign the agreement',
  GROUP: 'Sign the agreement',
  GROUP_ATTENDANCE: 'Sign the attendance record (agrees to the group agreement)',
  CONTRACT: 'Sign the contract',
};

/** The newest version of an organisation's text of one kind. */
async function latestTemplate(db: DbLike, organisationId: string, kind: AgreementKind) {
  return db.agreementTemplate.findFirst({ where: { organisationId, kind }, orderBy: { version: 'desc' } });
}

/**
 * The agreement text as card paragraphs: markdown-ish headings (`**…**`) become bold lines,
 * `- ` items bullets; the text stays data, never template.
 */
export function agreementParagraphs(body: string): Array<{ text: string; weight: 'Bolder' | 'Default'; spacing: 'Medium' | 'Small' }> {
  const paragraphs: Array<{ text: string; weight: 'Bolder' | 'Default'; spacing: 'Medium' | 'Small' }> = [];
  for (const line of body.split('\n')) {
    if (line.trim() === '') continue;
    const bullet = /^(\s*)[-*]\s+(.*)$/.exec(line);
    const content = (bullet ? bullet[2]! : line).trim();
    const heading = !bullet && /^\*\*.+\*\*:?$/.test(content);
    const text = content.replace(/\*\*(.+?)\*\*/g, '$1').replace(/^\*(.+)\*$/, '$1');
    if (bullet) {
      const nested = bullet[1]!.length > 0;
      paragraphs.push({ text: `${nested ? '    ◦' : '•'} ${text}`, weight: 'Default', spacing: 'Small' });
    } else {
      paragraphs.push({ text, weight: heading ? 'Bolder' : 'Default', spacing: 'Medium' });
    }
  }
  return paragraphs;
}

function describeWhen(session: { startsAt: Date | null; endsAt: Date | null } | null, zone: string): string {
  return session?.startsAt && session.endsAt ? booking.describeSlot({ startsAt: session.startsAt, endsAt: session.endsAt }, zone) : NONE;
}

function describeDate(at: Date, zone: string): string {
  return DateTime.fromJSDate(at, { zone }).setLocale('en-GB').toFormat("cccc d LLLL yyyy 'at' HH:mm");
}

/** Parties in a stable order: the supervisor first, then the others by name. */
function orderedParties(agreement: AgreementFull) {
  return [...agreement.parties]
    .map((p) => p.person)
    .sort((a, b) => (a.id === agreement.supervisorId ? -1 : b.id === agreement.supervisorId ? 1 : a.name.localeCompare(b.name)));
}

/** One party's view of an agreement: what it says, who has signed, and a Sign button while they can. */
export function agreementCard(agreement: AgreementFull, latestVersion: number, zone: string, viewerId: string, notice = ''): CardRef {
  const kind = agreement.template.kind;
  const version = agreement.template.version;
  const parties = orderedParties(agreement);
  const signedBy = (id: string) => agreement.signatures.find((s) => s.personId === id && s.signedVersion === version);
  const signed = parties.filter((p) => signedBy(p.id));
  const awaiting = parties.filter((p) => !signedBy(p.id));
  const mine = signedBy(viewerId);
  const outdated = version < latestVersion || agreement.status === 'SUPERSEDED';
  const isParty = parties.some((p) => p.id === viewerId);
  return {
    template: 'agreement',
    data: {
      title: agreement.template.title,
      intro:
        kind === 'GROUP_ATTENDANCE'
          ? 'Signing the attendance record is agreeing to the terms of the Group Safeguarding Supervision Agreement.'
          : `${AGREEMENT_KIND_LABELS[kind]}: please read it and sign below.`,
      notice: notice || (outdated ? `This text has been replaced by version ${latestVersion}; you will be sent the new version to sign.` : ''),
      paragraphs: agreementParagraphs(agreement.template.body),
      versionLabel: `Version ${version}`,
      when: describeWhen(agreement.session, zone),
      supervisor: agreement.supervisor.name,
      signedSoFar: signed.length ? signed.map((p) => p.name).join(', ') : 'No one yet',
      awaiting: awaiting.length ? awaiting.map((p) => p.name).join(', ') : 'No one: everyone has signed',
      yourStatus: mine ? `Signed by you on ${describeDate(mine.signedAt, zone)}.` : '',
      canSign: isParty && !mine && !outdated && agreement.status === 'AWAITING_SIGNATURES',
      signTitle: SIGN_TITLES[kind],
      agreementId: agreement.id,
      version,
    },
  };
}

async function loadAgreement(db: DbLike, id: string) {
  return db.agreement.findUniqueOrThrow({ where: { id }, include: agreementInclude });
}

/**
 * A signed agreement of `kind` at `version` between the same supervisor and (at least) the
 * same people, from an earlier session: individual agreements and contracts persist.
 */
async function coveringAgreement(db: DbLike, input: { organisationId: string; supervisorId: string; kind: AgreementKind; version: number; partyIds: string[] }) {
  const candidates = await db.agreement.findMany({
    where: {
      status: 'SIGNED',
      supervisorId: input.supervisorId,
      template: { organisationId: input.organisationId, kind: input.kind, version: input.version },
    },
    include: { parties: true },
  });
  return candidates.find((a) => input.partyIds.every((id) => a.parties.some((p) => p.personId === id)));
}

type SessionFull = Prisma.SessionGetPayload<{ include: typeof sessionWithPeople }>;

/** What the offers of one change made: the agreements and the people they went to. */
interface OfferSink {
  agreements: string[];
  people: Set<string>;
}

/** The organisation's settings, read in the caller's transaction (loadOrganisation takes no transaction and reads contacts too). */
async function orgConfigIn(tx: DbLike, organisationId: string) {
  const org = await tx.organisation.findUniqueOrThrow({ where: { id: organisationId }, select: { timeZone: true, serviceHours: true, responseTargets: true, settings: true } });
  return parseOrgConfig(org);
}

/** Writes one offer: the agreement row, its audit entry, and a card to every party in the outbox. */
async function createOffer(
  deps: FlowDeps,
  tx: Prisma.TransactionClient,
  input: { organisationId: string; templateId: string; kind: AgreementKind; version: number; sessionId: string | null; supervisorId: string; partyIds: string[]; zone: string; replaces?: string[] },
  sink?: OfferSink,
): Promise<string[]> {
  const now = deps.clock.now();
  const created = await tx.agreement.create({
    data: {
      createdAt: now, // the unsigned-agreement reminder counts from it
      templateId: input.templateId,
      sessionId: input.sessionId,
      supervisorId: input.supervisorId,
      parties: { create: input.partyIds.map((personId) => ({ personId })) },
    },
  });
  await recordAudit(tx, {
    at: now,
    organisationId: input.organisationId,
    actorId: null,
    action: 'agreement.offered',
    subjectType: 'agreement',
    subjectId: created.id,
    detail: { sessionId: input.sessionId, kind: input.kind, version: input.version, ...(input.replaces?.length ? { replaces: input.replaces.join(',') } : {}) },
  });
  sink?.agreements.push(created.id);
  for (const personId of input.partyIds) sink?.people.add(personId);
  const agreement = await loadAgreement(tx, created.id);
  // The offer reaches every party with the agreement, or not at all.
  return deps.outbox.stage(
    tx,
    input.partyIds.map((personId) => ({ to: 'person' as const, personId, message: { card: agreementCard(agreement, input.version, input.zone, personId) } })),
  );
}

/**
 * Offer a session the latest version of one agreement kind its format needs, unless it has that
 * version already or the same people signed it for an earlier session. Earlier versions of that
 * kind still awaiting signatures on this session are superseded (their cards can no longer be signed).
 */
async function offerSessionAgreement(deps: FlowDeps, tx: Prisma.TransactionClient, session: SessionFull, kind: AgreementKind, zone: string, sink?: OfferSink): Promise<string[]> {
  const template = await latestTemplate(tx, session.organisationId, kind);
  if (!template) {
    deps.logger.warn({ organisationId: session.organisationId, kind }, 'no agreement template for this organisation');
    return [];
  }
  const partyIds = [...new Set([session.supervisorId, ...session.attendees.map((a) => a.personId)])];
  const existing = await tx.agreement.findFirst({ where: { sessionId: session.id, templateId: template.id, status: { not: 'SUPERSEDED' } } });
  if (existing) return [];
  // The attendance record is per session; the agreements themselves carry over.
  if (kind !== 'GROUP_ATTENDANCE') {
    const covering = await coveringAgreement(tx, { organisationId: session.organisationId, supervisorId: session.supervisorId, kind, version: template.version, partyIds });
    if (covering) return [];
  }
  const older = await tx.agreement.findMany({
    where: { sessionId: session.id, status: 'AWAITING_SIGNATURES', template: { kind, version: { lt: template.version } } },
    select: { id: true },
  });
  if (older.length) await tx.agreement.updateMany({ where: { id: { in: older.map((a) => a.id) } }, data: { status: 'SUPERSEDED' } });
  return createOffer(deps, tx, {
    organisationId: session.organisationId,
    templateId: template.id,
    kind,
    version: template.version,
    sessionId: session.id,
    supervisorId: session.supervisorId,
    partyIds,
    zone,
    replaces: older.map((a) => a.id),
  }, sink);
}

/**
 * The supervision contract between a supervisor and one supervisee (seeds 001 appendix 2, 003
 * appendix 3: both sign, reviewed annually). It is in force when it is the latest version and
 * signed with its review date still ahead, or offered at the latest version and awaiting
 * signatures. Otherwise the latest version is offered to the two of them, and an earlier one of
 * theirs is superseded (its signatures stay on record; its card can no longer be signed, and its
 * review reminder stops).
 */
async function offerContract(
  deps: FlowDeps,
  tx: Prisma.TransactionClient,
  input: { organisationId: string; supervisorId: string; superviseeId: string; sessionId: string | null; zone: string },
  sink?: OfferSink,
): Promise<string[]> {
  const template = await latestTemplate(tx, input.organisationId, 'CONTRACT');
  if (!template || input.supervisorId === input.superviseeId) return [];
  const now = deps.clock.now();
  const theirs = (
    await tx.agreement.findMany({
      where: { supervisorId: input.supervisorId, status: { in: ['AWAITING_SIGNATURES', 'SIGNED'] }, template: { organisationId: input.organisationId, kind: 'CONTRACT' } },
      include: { template: { select: { version: true } }, parties: { select: { personId: true } } },
    })
  ).filter((a) => a.parties.some((p) => p.personId === input.superviseeId));
  const inForce = theirs.some(
    (a) => a.template.version === template.version && (a.status === 'AWAITING_SIGNATURES' || (a.reviewDue !== null && a.reviewDue.getTime() > now.getTime())),
  );
  if (inForce) return [];
  if (theirs.length) await tx.agreement.updateMany({ where: { id: { in: theirs.map((a) => a.id) } }, data: { status: 'SUPERSEDED' } });
  return createOffer(deps, tx, {
    organisationId: input.organisationId,
    templateId: template.id,
    kind: 'CONTRACT',
    version: template.version,
    sessionId: input.sessionId,
    supervisorId: input.supervisorId,
    partyIds: [input.supervisorId, input.superviseeId],
    zone: input.zone,
    replaces: theirs.map((a) => a.id),
  }, sink);
}

/**
 * Called when a session is confirmed, inside the confirmation's transaction: offer each agreement
 * the session's format needs, in the organisation's latest version, unless the same people already
 * signed that version; and, where the organisation offers contracts, each supervisee's contract with
 * the supervisor unless one is in force. The offers are written with the confirmation (a process
 * that dies after it committed loses none): returns the outbox rows to send once it has.
 */
export async function stageAgreementOffers(deps: FlowDeps, tx: Prisma.TransactionClient, sessionId: string, zone: string): Promise<string[]> {
  const session = await tx.session.findUniqueOrThrow({ where: { id: sessionId }, include: sessionWithPeople });
  if (session.status !== 'CONFIRMED') return [];
  // A text being loaded holds the organisation FOR UPDATE (npm run org): waiting for it here means
  // this session gets the new version, or the load sees this session confirmed and offers it then.
  await tx.$queryRaw`SELECT "id" FROM "Organisation" WHERE "id" = ${session.organisationId} FOR SHARE`;
  const staged: string[] = [];
  for (const kind of agreementKindsFor(session.format)) staged.push(...(await offerSessionAgreement(deps, tx, session, kind, zone)));
  if ((await orgConfigIn(tx, session.organisationId)).settings.offerContracts) {
    for (const attendee of session.attendees) {
      staged.push(...(await offerContract(deps, tx, { organisationId: session.organisationId, supervisorId: session.supervisorId, superviseeId: attendee.personId, sessionId, zone })));
    }
  }
  return staged;
}

export interface NewVersionOffers {
  /** Agreements awaiting signatures on an earlier version, now superseded (their cards can no longer be signed). */
  superseded: number;
  /** New agreements offered at the new version. */
  offered: number;
  /** The people they were offered to. */
  people: number;
  /** The outbox rows written. */
  messageIds: string[];
  /** Whether the organisation offers contracts (settings.offerContracts). */
  contractsOffered: boolean;
}

/**
 * Called in the transaction that loads a new version of a text (npm run org -- load-agreement):
 * the people whose supervision is current are offered the new version at once, through the
 * outbox, with the load. Current means: a session confirmed and not yet over (its agreements,
 * or the attendance record, whatever they signed before), an agreement still awaiting signatures
 * on an earlier version (its cards can no longer be signed), and, where the organisation offers
 * contracts, every contract in force (signed and not yet due for review, or awaiting signatures)
 * and the supervisees of those sessions. Everyone else (supervision that has ended) is offered the
 * new version when their next session is confirmed. Earlier signatures stay on record.
 */
export async function stageNewVersionOffers(deps: FlowDeps, tx: Prisma.TransactionClient, organisationId: string, kind: AgreementKind): Promise<NewVersionOffers> {
  const config = await orgConfigIn(tx, organisationId);
  const zone = config.timeZone;
  const now = deps.clock.now();
  const latest = await latestTemplate(tx, organisationId, kind);
  const contractsOffered = config.settings.offerContracts;
  if (!latest) return { superseded: 0, offered: 0, people: 0, messageIds: [], contractsOffered };
  const awaitingOlder = await tx.agreement.findMany({
    where: { status: 'AWAITING_SIGNATURES', template: { organisationId, kind, version: { lt: latest.version } } },
    select: { id: true },
  });
  const messageIds: string[] = [];
  const sink: OfferSink = { agreements: [], people: new Set() };

  const upcoming = await tx.session.findMany({
    where: { organisationId, status: 'CONFIRMED', endsAt: { gt: now } },
    include: sessionWithPeople,
    orderBy: { startsAt: 'asc' },
  });
  if (kind !== 'CONTRACT') {
    for (const session of upcoming) {
      if (!agreementKindsFor(session.format).includes(kind)) continue;
      messageIds.push(...(await offerSessionAgreement(deps, tx, session, kind, zone, sink)));
    }
  } else if (config.settings.offerContracts) {
    const pairs = new Map<string, { supervisorId: string; superviseeId: string; sessionId: string | null }>();
    const add = (supervisorId: string, superviseeId: string, sessionId: string | null) => {
      const key = `${supervisorId}:${superviseeId}`;
      if (supervisorId !== superviseeId && !pairs.has(key)) pairs.set(key, { supervisorId, superviseeId, sessionId });
    };
    const contracts = await tx.agreement.findMany({
      where: {
        template: { organisationId, kind: 'CONTRACT', version: { lt: latest.version } },
        OR: [{ status: 'AWAITING_SIGNATURES' }, { status: 'SIGNED', reviewDue: { gt: now } }],
      },
      select: { supervisorId: true, sessionId: true, parties: { select: { personId: true, person: { select: { active: true } } } } },
      orderBy: { createdAt: 'asc' },
    });
    for (const c of contracts) for (const p of c.parties) if (p.person.active) add(c.supervisorId, p.personId, c.sessionId);
    for (const session of upcoming) for (const a of session.attendees) add(session.supervisorId, a.personId, session.id);
    for (const pair of pairs.values()) messageIds.push(...(await offerContract(deps, tx, { organisationId, ...pair, zone }, sink)));
  }

  // Whatever still awaits signatures on an earlier version (its session is over or cancelled, or
  // contracts are not offered) can no longer be signed: the next confirmed session offers the new one.
  await tx.agreement.updateMany({ where: { id: { in: awaitingOlder.map((a) => a.id) }, status: 'AWAITING_SIGNATURES' }, data: { status: 'SUPERSEDED' } });
  // Rows written here wait for no first try in this process: the workers send them at their next poll.
  if (messageIds.length) await tx.outboundMessage.updateMany({ where: { id: { in: messageIds } }, data: { nextAttemptAt: now } });
  return {
    superseded: awaitingOlder.length,
    offered: sink.agreements.length,
    people: sink.people.size,
    messageIds,
    contractsOffered,
  };
}

/** Record one signature and mark the agreement signed when it completes it. Returns whether it did. */
async function addSignature(
  tx: Prisma.TransactionClient,
  agreement: AgreementFull,
  actor: Actor,
  signedVersion: number,
  now: Date,
  contractReviewMonths: number,
  zone: string,
): Promise<boolean> {
  // Lock the agreement row so two parties signing at once both see each other's signature.
  await tx.$queryRaw`SELECT "id" FROM "Agreement" WHERE "id" = ${agreement.id} FOR UPDATE`;
  const existing = await tx.signature.findFirst({ where: { agreementId: agreement.id, personId: actor.personId, signedVersion } });
  if (existing) throw new DomainError('ALREADY_SIGNED', `You have already signed version ${signedVersion} of this agreement.`);
  await tx.signature.create({
    data: { agreementId: agreement.id, personId: actor.personId, signedVersion, platform: actor.platform, signedAt: now },
  });
  const signatures = await tx.signature.findMany({ where: { agreementId: agreement.id }, select: { personId: true, signedVersion: true } });
  const complete = isFullySigned(agreement.parties.map((p) => p.personId), signatures, signedVersion);
  if (complete) {
    await tx.agreement.update({
      where: { id: agreement.id },
      data: {
        status: 'SIGNED',
        ...(agreement.template.kind === 'CONTRACT' ? { reviewDue: contractReviewDue(now, contractReviewMonths, zone) } : {}),
      },
    });
  }
  await recordAudit(tx, {
    at: now,
    organisationId: agreement.template.organisationId,
    actorId: actor.personId,
    action: 'agreement.signed',
    subjectType: 'agreement',
    subjectId: agreement.id,
    platform: actor.platform,
    detail: { kind: agreement.template.kind, version: signedVersion, complete },
  });
  return complete;
}

function versionOf(value: Record<string, unknown>): number {
  const version = Number(value.version);
  return Number.isInteger(version) && version > 0 ? version : -1;
}

/** A party signs the version of the text their card showed (journey 5). */
export async function signAgreement(deps: FlowDeps, actor: Actor, value: Record<string, unknown>): Promise<TurnResult> {
  const id = value.agreementId;
  const found =
    isId(id)
      ? await deps.db.agreement.findFirst({ where: { id, template: { organisationId: actor.organisationId } }, include: agreementInclude })
      : null;
  if (!found) throw new DomainError('NOT_FOUND', "I can't find that agreement. The card may be out of date or not one of mine.");
  const agreement = found;
  const org = await loadOrganisation(deps.db, actor.organisationId);
  const zone = org.config.timeZone;
  const kind = agreement.template.kind;
  const latest = (await latestTemplate(deps.db, actor.organisationId, kind))?.version ?? agreement.template.version;
  const currentVersion = Math.max(latest, agreement.template.version);
  const offered = versionOf(value);
  if (offered < 0) throw new StaleCardError(agreementCard(agreement, latest, zone, actor.personId));
  const partyIds = agreement.parties.map((p) => p.personId);
  // Before anything about the text is said: a stranger learns nothing of a replaced version.
  assertIsParty(actor, partyIds);
  // A card of a text that has been replaced (a newer version loaded, or the contract offered
  // again at its review): refused, with the card that replaced it.
  if (agreement.status === 'SUPERSEDED' || (agreement.status === 'AWAITING_SIGNATURES' && agreement.template.version < latest)) {
    return replacedAgreementAnswer(deps, actor, agreement, latest, zone);
  }
  const signedVersion = assertCanSign(actor, {
    partyIds,
    signatures: agreement.signatures,
    currentVersion,
    signedVersionOffered: offered,
  });
  if (signedVersion !== agreement.template.version) {
    // A card of an older text pressed with a newer version number: still the older text.
    throw new DomainError('OUTDATED_TEXT', `This agreement text has been updated; please read and sign version ${signedVersion}.`);
  }

  const now = deps.clock.now();
  const months = org.config.settings.contractReviewMonths;
  const completed: AgreementFull[] = [];
  const staged = await deps.db.$transaction(async (tx) => {
    if (await addSignature(tx, agreement, actor, signedVersion, now, months, zone)) completed.push(agreement);
    // Signing the attendance record is agreeing to the group agreement of the same session.
    const evidenced = agreementsEvidencedBy(kind).filter((k) => k !== kind);
    if (evidenced.length && agreement.sessionId) {
      const others = await tx.agreement.findMany({
        where: { sessionId: agreement.sessionId, status: 'AWAITING_SIGNATURES', template: { kind: { in: evidenced } }, parties: { some: { personId: actor.personId } } },
        include: agreementInclude,
      });
      for (const other of others) {
        const otherLatest = (await latestTemplate(tx, actor.organisationId, other.template.kind))?.version ?? other.template.version;
        if (other.template.version !== otherLatest) continue;
        if (other.signatures.some((s) => s.personId === actor.personId && s.signedVersion === other.template.version)) continue;
        if (await addSignature(tx, other, actor, other.template.version, now, months, zone)) completed.push(other);
      }
    }
    // The other parties learn that everyone has signed with the last signature, or not at all.
    const messages: StagedMessage[] = [];
    for (const done of completed) {
      const doneNow = await loadAgreement(tx, done.id);
      const others = doneNow.parties.map((p) => p.personId).filter((personId) => personId !== actor.personId);
      const session = doneNow.sessionId ? await tx.session.findUnique({ where: { id: doneNow.sessionId }, include: sessionWithPeople }) : null;
      const line = doneNow.sessionId ? await agreementStatusOf(tx, doneNow.sessionId) : 'Agreement signed by everyone';
      const text = `Everyone has signed the ${doneNow.template.title} (version ${doneNow.template.version}).`;
      for (const personId of others) {
        messages.push({
          to: 'person',
          personId,
          message: session
            ? { card: sessionUpdateCard(session, zone, { heading: 'Agreement signed by everyone', message: text, viewerId: personId, agreement: line }) }
            : { text },
        });
      }
    }
    return deps.outbox.stage(tx, messages);
  });
  await deps.outbox.send(staged);

  const refreshed = await loadAgreement(deps.db, agreement.id);
  const awaiting = unsignedParties(refreshed.parties.map((p) => p.personId), refreshed.signatures, refreshed.template.version);
  const names = orderedParties(refreshed).filter((p) => awaiting.includes(p.id)).map((p) => p.name);
  return {
    replies: [],
    updatedCard: agreementCard(refreshed, latest, zone, actor.personId),
    notice: names.length ? `Signed. Still to sign: ${names.join(', ')}.` : 'Signed. Everyone has now signed, and they have been told.',
  };
}

/**
 * The answer to a Sign on a replaced text: refused, nothing written, the old card refreshed to say
 * so, and the agreement that replaced it for this person (the same session's, or for a contract
 * the same supervisor's with them) as a new card to read and sign.
 */
async function replacedAgreementAnswer(deps: FlowDeps, actor: Actor, old: AgreementFull, latest: number, zone: string): Promise<TurnResult> {
  const kind = old.template.kind;
  const newer = await deps.db.agreement.findFirst({
    where: {
      id: { not: old.id },
      status: { in: ['AWAITING_SIGNATURES', 'SIGNED'] },
      template: { organisationId: actor.organisationId, kind, version: { gte: old.template.version } },
      parties: { some: { personId: actor.personId } },
      ...(kind === 'CONTRACT' ? { supervisorId: old.supervisorId } : old.sessionId ? { sessionId: old.sessionId } : { supervisorId: old.supervisorId }),
    },
    include: agreementInclude,
    orderBy: [{ template: { version: 'desc' } }, { createdAt: 'desc' }],
  });
  const what = `version ${old.template.version} of the ${AGREEMENT_KIND_LABELS[kind]}`;
  deps.logger.info({ code: 'OUTDATED_TEXT', actorId: actor.personId }, 'turn refused');
  if (newer && (kind !== 'CONTRACT' || newer.parties.every((p) => old.parties.some((o) => o.personId === p.personId)))) {
    const n = newer.template.version;
    // The same version again: a contract offered anew at its review.
    const replaced = n > old.template.version ? `has been replaced by version ${n}` : 'has been offered again on a newer card';
    return {
      replies: [{ card: agreementCard(newer, latest, zone, actor.personId) }],
      updatedCard: agreementCard(old, latest, zone, actor.personId, `Replaced by version ${n}: this card can no longer be signed.`),
      refused: true,
      notice: `Not signed: ${what} ${replaced}, so it can no longer be signed. Version ${n} is below: please read it and sign that one.`,
    };
  }
  return {
    replies: [],
    updatedCard: agreementCard(old, latest, zone, actor.personId),
    refused: true,
    notice: `Not signed: ${what} has been replaced by version ${latest}, so it can no longer be signed. You will be sent version ${latest} to sign when your next session is confirmed.`,
  };
}

/**
 * A short line about a session's agreements for the session card: "Agreement signed by
 * everyone", "Agreement awaiting: <names>", or '' when none has been offered.
 */
export async function agreementStatusOf(db: DbLike, sessionId: string): Promise<string> {
  const session = await db.session.findUnique({ where: { id: sessionId }, include: { attendees: true } });
  if (!session) return '';
  const partyIds = [...new Set([session.supervisorId, ...session.attendees.map((a) => a.personId)])];
  const agreements = await db.agreement.findMany({
    where: { sessionId, status: { not: 'SUPERSEDED' } },
    include: agreementInclude,
    orderBy: { createdAt: 'desc' },
  });
  const awaiting = new Map<string, string>();
  let known = false;
  for (const kind of agreementKindsFor(session.format)) {
    const own = agreements.find((a) => a.template.kind === kind);
    if (own) {
      known = true;
      const unsigned = unsignedParties(own.parties.map((p) => p.personId), own.signatures, own.template.version);
      for (const person of orderedParties(own)) if (unsigned.includes(person.id)) awaiting.set(person.id, person.name);
      continue;
    }
    const template = kind === 'GROUP_ATTENDANCE' ? null : await latestTemplate(db, session.organisationId, kind);
    if (
      template &&
      (await coveringAgreement(db, { organisationId: session.organisationId, supervisorId: session.supervisorId, kind, version: template.version, partyIds }))
    ) {
      known = true;
    }
  }
  if (!known) return '';
  return awaiting.size ? `Agreement awaiting: ${[...awaiting.values()].join(', ')}` : 'Agreement signed by everyone';
}
