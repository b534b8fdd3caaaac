// A new version of an agreement or contract text from Markdown (src/domain/agreement-text.ts),
// written and audited in one transaction. Versions are never changed: from now on sessions are
// offered the new version, a signature on an earlier version does not cover it (so everyone signs
// again), and a card of an earlier version can no longer be signed (src/flows/agreements.ts).
import { AGREEMENT_KIND_LABELS, type AgreementKind } from '../domain/agreements.js';
import { nextAgreementVersion, readAgreementMarkdown } from '../domain/agreement-text.js';
import { SetupRefusedError } from '../domain/setup-problems.js';
import type { Clock } from '../domain/time.js';
import type { Db } from './client.js';
import { changeOrganisation } from './organisation-change.js';

export interface AgreementTextLoaded {
  id: string;
  kind: AgreementKind;
  version: number;
  title: string;
  /** The version it replaces, if any. */
  previousVersion: number | null;
  /** Agreements still awaiting signatures on an earlier version: those cards can no longer be signed. */
  awaitingOnEarlier: number;
}

export async function loadAgreementText(
  db: Db,
  slug: string,
  kind: AgreementKind,
  markdown: string,
  clock: Clock,
  options: { title?: string; version?: number } = {},
): Promise<AgreementTextLoaded> {
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
    return {
      result: { id: created.id, kind, version: next.version, title: text.text.title, previousVersion, awaitingOnEarlier },
      detail: { kind, version: next.version, previousVersion, label: AGREEMENT_KIND_LABELS[kind], characters: text.text.body.length },
      subject: { type: 'agreement-template', id: created.id },
    };
  });
}
