/**
 * npm run org -- <verb> ...
 *
 *   show <slug>                                     the organisation's platform ids
 *   set-platform-ids <slug> [--teams-tenant <id>] [--slack-workspace <id>]
 *                                                   pin the organisation to its Teams tenant
 *                                                   and/or Slack workspace (audited)
 *
 * Environment: DATABASE_URL, DATABASE_SCHEMA (as the bot). Exit codes: 0 done; 1 refused or
 * failed (nothing written); 2 wrong usage.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createDb, type Db } from '../db/client.js';
import { PlatformIdsError, setPlatformIds } from '../db/organisation-platforms.js';
import { DEFAULT_DATABASE_URL, type CliIo } from './import-people.js';
import { systemClock } from '../domain/time.js';

const USAGE = [
  'Usage:',
  '  npm run org -- show <slug>',
  '  npm run org -- set-platform-ids <slug> [--teams-tenant <Entra tenant id>] [--slack-workspace <Slack team id>]',
].join('\n');

const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

class UsageError extends Error {}

type Command = { verb: 'help' } | { verb: 'show' | 'set-platform-ids'; slug: string; teamsTenantId: string | undefined; slackTeamId: string | undefined };

function parse(argv: readonly string[]): Command {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { 'teams-tenant': { type: 'string' }, 'slack-workspace': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const [verb, slug, ...extra] = parsed.positionals;
  if (parsed.values.help) return { verb: 'help' as const };
  if (verb !== 'show' && verb !== 'set-platform-ids') throw new UsageError(verb ? `Unknown command "${verb}".` : 'No command given.');
  if (!slug || extra.length > 0) throw new UsageError('Give one organisation slug.');
  return { verb, slug, teamsTenantId: parsed.values['teams-tenant']?.trim(), slackTeamId: parsed.values['slack-workspace']?.trim() };
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = processIo): Promise<number> {
  let db: Db | undefined;
  try {
    const args = parse(argv);
    if (args.verb === 'help') {
      io.out(USAGE);
      return 0;
    }
    const schema = env.DATABASE_SCHEMA?.trim() || undefined;
    db = createDb(env.DATABASE_URL || DEFAULT_DATABASE_URL, schema ? { schema, maxConnections: 2 } : { maxConnections: 2 });
    if (args.verb === 'show') {
      const org = await db.organisation.findUnique({ where: { slug: args.slug }, select: { slug: true, name: true, timeZone: true, teamsTenantId: true, slackTeamId: true } });
      if (!org) throw new PlatformIdsError(`Unknown organisation "${args.slug}".`);
      io.out(`${org.name} (${org.slug})\n  time zone:       ${org.timeZone}\n  Teams tenant:    ${org.teamsTenantId ?? '(not set)'}\n  Slack workspace: ${org.slackTeamId ?? '(not set)'}`);
      return 0;
    }
    const ids = {
      ...(args.teamsTenantId !== undefined ? { teamsTenantId: args.teamsTenantId } : {}),
      ...(args.slackTeamId !== undefined ? { slackTeamId: args.slackTeamId } : {}),
    };
    const org = await setPlatformIds(db, args.slug, ids, systemClock.now());
    io.out(`${org.slug}: Teams tenant ${org.teamsTenantId ?? '(not set)'}, Slack workspace ${org.slackTeamId ?? '(not set)'}.`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n${USAGE}`);
      return 2;
    }
    io.err(error instanceof PlatformIdsError ? error.message : `Failed, nothing was written: ${error instanceof Error ? error.message.split('\n').at(-1) : String(error)}`);
    return 1;
  } finally {
    await db?.$disconnect();
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
