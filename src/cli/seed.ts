// npm run db:seed: writes the demo organisation (London Ambulance Service NHS Trust, demo)
// to the database at DATABASE_URL, unless it is already there. Run the migrations first.

import { createDb } from '../db/client.js';
import { DEMO_AGREEMENT_TEMPLATES, DEMO_CONTACTS, DEMO_ORGANISATION, DEMO_PEOPLE, DEMO_STAFF_GROUPS, DEMO_TENANT_ID } from '../db/demo-organisation.js';
import { seedDemoOrganisation } from '../db/seed-demo.js';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/sg_supervision';

/** The URL without its password, for printing. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const db = createDb(databaseUrl, { maxConnections: 2 });
  try {
    const { organisationId, created } = await seedDemoOrganisation(db, { tenantId: DEMO_TENANT_ID });
    if (!created) {
      console.log(
        `The demo organisation "${DEMO_ORGANISATION.name}" (slug ${DEMO_ORGANISATION.slug}) already exists in ${redact(databaseUrl)} as ${organisationId}: nothing written.`,
      );
      return;
    }
    const requirements = DEMO_STAFF_GROUPS.reduce((n, g) => n + g.requirements.length, 0);
    console.log(`Seeded "${DEMO_ORGANISATION.name}" (slug ${DEMO_ORGANISATION.slug}, id ${organisationId}) in ${redact(databaseUrl)}:`);
    console.log(`  ${DEMO_CONTACTS.length} contacts`);
    console.log(`  ${DEMO_STAFF_GROUPS.length} staff groups with ${requirements} supervision matrix rows`);
    console.log(`  ${DEMO_AGREEMENT_TEMPLATES.length} agreement templates (version 1)`);
    console.log(`  ${DEMO_PEOPLE.length} fictional people with Teams identities in tenant ${DEMO_TENANT_ID}:`);
    for (const p of DEMO_PEOPLE) {
      console.log(`    ${p.key.padEnd(20)} ${p.name.padEnd(22)} ${p.roles.join(', ')}`);
    }
  } finally {
    await db.$disconnect();
  }
}

main().catch((error: unknown) => {
  console.error('Seeding failed:', error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
