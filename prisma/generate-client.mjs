// Runs `prisma generate` on install. The Prisma CLI tries to download its Rust schema
// engine before any schema command, which fails where Prisma's CDN is out of reach;
// `generate` never uses that engine, so point the variable at an existing file to skip
// the download (see ENVIRONMENT notes in the README).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(import.meta.url);
const result = spawnSync('npx', ['prisma', 'generate', '--schema', 'prisma/schema.prisma'], {
  stdio: 'inherit',
  env,
});
process.exit(result.status ?? 1);
