// Configuration for the Prisma CLI, for operators who run Prisma's own tools:
//   npx prisma migrate deploy --config prisma/prisma.config.ts
// The bot itself applies migrations at start (src/db/migrate.ts) and does not need this.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'schema.prisma',
  migrations: { path: 'migrations' },
  datasource: {
    // process.env rather than Prisma's env(): env() throws when the variable is unset,
    // which would break `prisma generate` on install.
    url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/sg_supervision',
  },
});
