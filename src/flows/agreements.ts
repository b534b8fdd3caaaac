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
import { recordAudit } from '../db/audit.js';
import type { Db } from '../db/client.js';
import type { Prisma } from '../db/generated/client.js';
import { loadOrganisation } from '../db/organisations.js';
import { sessionWithPeople } from '../db/sessions.js';
import { sessionUpdateCard } from './booking.js';
import { StaleCardError, type Actor, type CardRef, type FlowDeps, type StagedMessage, type TurnResult } from './types.js';

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
  const kind = agreement.template.kind as AgreementKind;
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

/**
 * Called when a session is confirmed, inside the confirmation's transaction: offer each agreement
 * the session's format needs, in the organisation's latest version, unless the same people already
 * signed that version. The offers are written with the confirmation (a process that dies after it
 * committed loses none): returns the outbox rows to send once it has.
 */
export async function stageAgreementOffers(deps: FlowDeps, tx: Prisma.TransactionClient, sessionId: string, zone: string): Promise<string[]> {
  const session = await tx.session.findUniqueOrThrow({ where: { id: sessionId }, include: sessionWithPeople });
  if (session.status !== 'CONFIRMED') return [];
  const partyIds = [...new Set([session.supervisorId, ...session.attendees.map((a) => a.personId)])];
  const staged: string[] = [];

  for (const kind of agreementKindsFor(session.format)) {
    const template = await latestTemplate(tx, session.organisationId, kind);
    if (!template) {
      deps.logger.warn({ organisationId: session.organisationId, kind }, 'no agreement template for this organisation');
      continue;
    }
    const existing = await tx.agreement.findFirst({ where: { sessionId, templateId: template.id } });
    if (existing) continue;
    // The attendance record is per session; the agreements themselves carry over.
    if (kind !== 'GROUP_ATTENDANCE') {
      const covering = await coveringAgreement(tx, {
        organisationId: session.organisationId,
        supervisorId: session.supervisorId,
        kind,
        version: template.version,
        partyIds,
      });
      if (covering) continue;
    }
    const now = deps.clock.now();
    const created = await tx.agreement.create({
      data: {
        createdAt: now, // the unsigned-agreement reminder counts from it
        templateId: template.id,
        sessionId,
        supervisorId: session.supervisorId,
        parties: { create: partyIds.map((personId) => ({ personId })) },
      },
    });
    await recordAudit(tx, {
      at: now,
      organisationId: session.organisationId,
      actorId: null,
      action: 'agreement.offered',
      subjectType: 'agreement',
      subjectId: created.id,
      detail: { sessionId, kind, version: template.version },
    });
    const agreement = await loadAgreement(tx, created.id);
    // The offer reaches every party with the agreement, or not at all.
    staged.push(
      ...(await deps.outbox.stage(
        tx,
        partyIds.map((personId) => ({ to: 'person' as const, personId, message: { card: agreementCard(agreement, template.version, zone, personId) } })),
      )),
    );
  }
  return staged;
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
  const kind = agreement.template.kind as AgreementKind;
  const latest = (await latestTemplate(deps.db, actor.organisationId, kind))?.version ?? agreement.template.version;
  const currentVersion = Math.max(latest, agreement.template.version);
  const offered = versionOf(value);
  if (offered < 0) throw new StaleCardError(agreementCard(agreement, latest, zone, actor.personId));
  const signedVersion = assertCanSign(actor, {
    partyIds: agreement.parties.map((p) => p.personId),
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
        const otherLatest = (await latestTemplate(tx, actor.organisationId, other.template.kind as AgreementKind))?.version ?? other.template.version;
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
