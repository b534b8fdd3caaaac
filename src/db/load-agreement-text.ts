// A new version of an agreement or contract text from Markdown (src/domain/agreement-text.ts),
// written and audited in one transaction. Versions are never changed: a signature on an earlier
// version does not cover it (so everyone signs again), and a card of an earlier version can no
// longer be signed. `options.offer` offers it in the same transaction to the people whose
// supervision is current (src/flows/agreements.ts stageNewVersionOffers, passed by the CLI).
import { AGREEMENT_KIND_LABELS, type AgreementKind } from '../domain/agreements.js';
import { nextAgreementVersion, readAgreementMarkdown } from '../domain/agreement-text.js';
import { SetupRefusedError } from '../domain/setup-problems.js';
import type { Clock } from '../domain/time.js';
import type { Db } from './client.js';
import { changeOrganisation, type Tx } from './organisation-change.js';

export interface AgreementTextLoaded<O = undefined> {
  id: string;
  kind: AgreementKind;
  version: number;
  title: string;
  /** The version it replaces, if any. */
  previousVersion: number | null;
  /** Agreements still awaiting signatures on an earlier version: those cards can no longer be signed. */
  awaitingOnEarlier: number;
  /** What `options.offer` did in the same transaction (the offers of the new version). */
  offers: O;
}

export async function loadAgreementText<O = undefined>(
  db: Db,
  slug: string,
  kind: AgreementKind,
  markdown: string,
  clock: Clock,
  options: {
    title?: string;
    version?: number;
    /**
     * Offers the new version to the people it concerns, inside the load's transaction (the CLI
     * passes src/flows/agreements.ts stageNewVersionOffers): the messages commit with the text.
     */
    offer?: (tx: Tx, organisationId: string) => Promise<O>;
  } = {},
): Promise<AgreementTextLoaded<O>> {
  const text = readAgreementMarkdown(markdown, kind, options.title);
  return changeOrganisation(db, slug, clock, 'agreement-template.loaded', async (tx, org, now) => {
    if (!text.ok) throw new SetupRefusedError(text.problems);
    // The organisation is locked (changeOrganisation), so two loads at once cannot take one number.
    const existing = await tx.agreementTemplate.findMany({ where: { organisationId: org.id, kind }, select: { version: true, title: true, body: true } });
    const next = nextAgreementVersion(kind, existing, text.text, options.version);
    if (!next.ok) throw new SetupRefusedError(next.problems);
    const previousVersion = existing.length > 0 ? Math.max(...existing.map((v) => v.version)) : null;
    const created = await tx.agreementTemplate.create({
      data: { organisationId: org.id, kind, version: next.version, title: text.text.title, body: text.text.body, createdAt: now },
      select: { id: true },
    });
    const awaitingOnEarlier = await tx.agreement.count({
      where: { status: 'AWAITING_SIGNATURES', template: { organisationId: org.id, kind, version: { lt: next.version } } },
    });
    const offers = (options.offer ? await options.offer(tx, org.id) : undefined) as O;
    const counts: Record<string, number> = offers && typeof offers === 'object' && 'offered' in offers ? { offered: Number((offers as { offered: unknown }).offered) } : {};
    return {
      result: { id: created.id, kind, version: next.version, title: text.text.title, previousVersion, awaitingOnEarlier, offers },
      detail: { kind, version: next.version, previousVersion, label: AGREEMENT_KIND_LABELS[kind], characters: text.text.body.length, awaitingOnEarlier, ...counts },
      subject: { type: 'agreement-template', id: created.id },
    };
  });
}
