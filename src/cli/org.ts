/**
 * npm run org -- <verb> <slug> ...: an organisation's set-up from the command line, from an empty
 * database to a working bot without SQL. See USAGE below and the README ("Setting up an
 * organisation"). Every change is validated with the bot's own schemas, applied in one
 * transaction and audited (actor: the command line); a refused change writes nothing.
 *
 * Environment: DATABASE_URL, DATABASE_SCHEMA (as the bot). Exit codes: 0 done; 1 refused or
 * failed (nothing written); 2 wrong usage.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createDb, type Db } from '../db/client.js';
import { createOrganisation } from '../db/create-organisation.js';
import { describeOrganisation } from '../db/describe-organisation.js';
import { loadAgreementText } from '../db/load-agreement-text.js';
import { PlatformIdsError, setPlatformIds } from '../db/organisation-platforms.js';
import { setContacts } from '../db/set-contacts.js';
import { describeDay, setHolidays, setServiceHours } from '../db/set-service-hours.js';
import { setSettings } from '../db/set-settings.js';
import { setStaffGroups } from '../db/set-staff-groups.js';
import { setSupervisionMatrix } from '../db/set-supervision-matrix.js';
import { parseAgreementKind } from '../domain/agreement-text.js';
import { AGREEMENT_KIND_LABELS } from '../domain/agreements.js';
import { WEEKDAYS } from '../domain/org-settings.js';
import { SETTINGS_KEYS, type SettingsPart } from '../domain/settings-input.js';
import { SetupRefusedError } from '../domain/setup-problems.js';
import { systemClock, type Clock } from '../domain/time.js';
import { createOutbox } from '../channels/outbox.js';
import { stageNewVersionOffers } from '../flows/agreements.js';
import { createLogger } from '../logger.js';
import { DEFAULT_DATABASE_URL, type CliIo } from './import-people.js';
import { formatOrganisation, formatProblems, formatValue } from './org-output.js';

const keys = (part: SettingsPart) => Object.keys(SETTINGS_KEYS[part]).join(' ');

const USAGE = [
  'Usage: npm run org -- <verb> <slug> ...',
  '  create <slug> --name "<name>" [--time-zone <IANA zone>] [--reference-prefix <ABC>]',
  '         [--teams-tenant <Entra tenant id>] [--slack-workspace <Slack team id>]',
  '  show <slug> [--json]',
  '  set-platform-ids <slug> [--teams-tenant <Entra tenant id>] [--slack-workspace <Slack team id>]',
  '  set-contacts <slug> <contacts.csv>          columns kind,label,phone,email,url,availability',
  '  set-service-hours <slug> <day>=<HH:mm-HH:mm[,HH:mm-HH:mm]|closed> ...   day: mon..sun or a run such as mon-fri',
  '  set-holidays <slug> <YYYY-MM-DD> ... | none',
  '  set-response-policy <slug> <route>.<key>=<value|default> ...   route: urgent, advice, session;',
  '                                              key: targetMinutes, resurfaceAfterMinutes, escalateAfterMinutes (service minutes)',
  `  set-reminders <slug> <key>=<value|default> ...         keys: ${keys('reminders')}`,
  `  set-retention <slug> <key>=<value|default> ...         keys: ${keys('retention')}`,
  `  set-report <slug> <key>=<value|default> ...            keys: ${keys('report')}`,
  `  set-records <slug> <key>=<value|default> ...           keys: ${keys('records')}`,
  '  set-staff-groups <slug> <groups.csv>        column name',
  '  set-matrix <slug> <matrix.csv>              columns staff_group,kind,format,supervisor_pool,duration_minutes,',
  '                                              sessions_per_year,interval_months,typical_group_size,supervisors',
  '  load-agreement <slug> <individual|group|group-attendance|contract> <file.md> [--title "<title>"] [--version <n>]',
].join('\n');

const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

class UsageError extends Error {}

const SETTINGS_VERBS: Record<string, SettingsPart> = {
  'set-response-policy': 'response-policy',
  'set-reminders': 'reminders',
  'set-retention': 'retention',
  'set-report': 'report',
  'set-records': 'records',
};

/** Each verb: its options, and how many further arguments it takes after the slug. */
const VERBS: Record<string, { options: readonly string[]; args: 'none' | 'one' | 'two' | 'some' }> = {
  create: { options: ['name', 'time-zone', 'reference-prefix', 'teams-tenant', 'slack-workspace'], args: 'none' },
  show: { options: ['json'], args: 'none' },
  'set-platform-ids': { options: ['teams-tenant', 'slack-workspace'], args: 'none' },
  'set-contacts': { options: [], args: 'one' },
  'set-service-hours': { options: [], args: 'some' },
  'set-holidays': { options: [], args: 'some' },
  ...Object.fromEntries(Object.keys(SETTINGS_VERBS).map((verb) => [verb, { options: [], args: 'some' as const }])),
  'set-staff-groups': { options: [], args: 'one' },
  'set-matrix': { options: [], args: 'one' },
  'load-agreement': { options: ['title', 'version'], args: 'two' },
};

const OPTIONS = {
  name: { type: 'string' },
  'time-zone': { type: 'string' },
  'reference-prefix': { type: 'string' },
  'teams-tenant': { type: 'string' },
  'slack-workspace': { type: 'string' },
  title: { type: 'string' },
  version: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

interface Command {
  verb: string;
  slug: string;
  args: string[];
  options: { [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]['type'] extends 'string' ? string : boolean };
}

function parse(argv: readonly string[]): Command | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values.help) return 'help';
  const [verb, slug, ...args] = parsed.positionals;
  if (!verb) throw new UsageError('No command given.');
  const spec = VERBS[verb];
  if (!spec) throw new UsageError(`Unknown command "${verb}".`);
  if (!slug) throw new UsageError(`Give the organisation's slug: npm run org -- ${verb} <slug> ...`);
  const wrong = Object.keys(parsed.values).filter((o) => o !== 'help' && !spec.options.includes(o));
  if (wrong.length > 0) throw new UsageError(`${verb} takes no ${wrong.map((o) => `--${o}`).join(', ')}.`);
  const counts = { none: [0, 0], one: [1, 1], two: [2, 2], some: [1, Infinity] }[spec.args];
  if (args.length < counts[0]! || args.length > counts[1]!) {
    throw new UsageError(
      spec.args === 'none' ? `${verb} takes only the slug (got ${args.join(' ')}).` : spec.args === 'some' ? `${verb} needs what to set after the slug.` : `${verb} takes ${counts[0]} argument${counts[0] === 1 ? '' : 's'} after the slug.`,
    );
  }
  return { verb, slug, args, options: parsed.values };
}

async function readTextFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? (error as Error).message})`;
    throw new SetupRefusedError([{ field: 'file', reason: `${resolve(file)}: ${reason}` }]);
  }
}

/** Run one verb; returns what to print. */
async function run(db: Db, command: Command, clock: Clock): Promise<string> {
  const { verb, slug, args, options } = command;
  switch (verb) {
    case 'create': {
      const org = await createOrganisation(
        db,
        { slug, name: options.name, timeZone: options['time-zone'], referencePrefix: options['reference-prefix'], teamsTenantId: options['teams-tenant'], slackTeamId: options['slack-workspace'] },
        clock,
      );
      return [
        `Created ${org.name} (${org.slug}): time zone ${org.timeZone}, references ${org.referencePrefix}-YYYY-NNNN, Teams tenant ${org.teamsTenantId ?? '(not set)'}, Slack workspace ${org.slackTeamId ?? '(not set)'}.`,
        'Service hours are Monday to Friday 09:00-17:00 and every setting has the policy default until you set it.',
        `Next: set-contacts, set-service-hours, set-staff-groups, then npm run import:people -- staff.csv --org ${org.slug}, set-matrix and load-agreement (npm run org -- --help).`,
      ].join('\n');
    }
    case 'show': {
      const org = await describeOrganisation(db, slug);
      return options.json ? JSON.stringify(org, null, 2) : formatOrganisation(org);
    }
    case 'set-platform-ids': {
      const ids = {
        ...(options['teams-tenant'] !== undefined ? { teamsTenantId: options['teams-tenant'].trim() } : {}),
        ...(options['slack-workspace'] !== undefined ? { slackTeamId: options['slack-workspace'].trim() } : {}),
      };
      const org = await setPlatformIds(db, slug, ids, clock.now());
      return `${org.slug}: Teams tenant ${org.teamsTenantId ?? '(not set)'}, Slack workspace ${org.slackTeamId ?? '(not set)'}.`;
    }
    case 'set-contacts': {
      const { contacts, removed } = await setContacts(db, slug, await readTextFile(args[0]!), clock);
      return `${slug}: ${contacts} contacts set (replacing ${removed}).`;
    }
    case 'set-service-hours': {
      const hours = await setServiceHours(db, slug, args, clock);
      return [`${slug}: service hours set.`, ...WEEKDAYS.map((d) => `  ${d}  ${describeDay(hours[d])}`)].join('\n');
    }
    case 'set-holidays': {
      const hours = await setHolidays(db, slug, args, clock);
      const holidays = hours.holidays ?? [];
      return `${slug}: ${holidays.length} ${holidays.length === 1 ? 'holiday' : 'holidays'}${holidays.length ? `: ${holidays.join(' ')}` : ''}.`;
    }
    case 'set-staff-groups': {
      const plan = await setStaffGroups(db, slug, await readTextFile(args[0]!), clock);
      const renamed = plan.rename.map((r) => `"${r.from}" → "${r.to}"`).join(', ');
      return `${slug}: ${plan.names.length} staff groups (${plan.create.length} added, ${plan.rename.length} renamed${renamed ? `: ${renamed}` : ''}, ${plan.remove.length} removed${plan.remove.length ? `: ${plan.remove.join(', ')}` : ''}).`;
    }
    case 'set-matrix': {
      const m = await setSupervisionMatrix(db, slug, await readTextFile(args[0]!), clock);
      return `${slug}: supervision matrix of ${m.rows} rows (${m.created} added, ${m.updated} updated, ${m.removed} removed), ${m.supervisors} named supervisor places.`;
    }
    case 'load-agreement': {
      const kind = parseAgreementKind(args[0]!);
      if (!kind) throw new UsageError(`"${args[0]}" is not an agreement kind: individual, group, group-attendance or contract.`);
      const version = options.version === undefined ? undefined : Number(options.version);
      if (version !== undefined && !(Number.isInteger(version) && version >= 1)) throw new UsageError(`--version must be a whole number from 1, not "${options.version}".`);
      // The new version is offered to the people whose supervision is current in the load's own
      // transaction, as outbox rows (no platform here: the bot's workers deliver them).
      const logger = createLogger({ level: 'error', destination: process.stderr });
      const outbox = createOutbox({ db, senders: [], logger, clock });
      const deps = { db, clock, outbox, logger, links: { invite: () => '' } };
      const loaded = await loadAgreementText(db, slug, kind, await readTextFile(args[1]!), clock, {
        ...(options.title !== undefined ? { title: options.title } : {}),
        ...(version !== undefined ? { version } : {}),
        offer: (tx, organisationId) => stageNewVersionOffers(deps, tx, organisationId, kind),
      });
      const { offers } = loaded;
      const offeredLine =
        offers.offered > 0
          ? [`Offered version ${loaded.version} for signature now: ${offers.offered} agreement(s) to ${offers.people} person(s) (sessions confirmed and not yet over${kind === 'CONTRACT' ? ', contracts in force' : ''}); the bot delivers the cards.`]
          : kind === 'CONTRACT' && !offers.contractsOffered
            ? ['Contracts are not offered by this organisation (npm run org -- set-records <slug> offerContracts=true to offer them).']
            : [];
      const label = AGREEMENT_KIND_LABELS[kind];
      return [
        `${slug}: "${loaded.title}" loaded as version ${loaded.version} of the ${label}${loaded.previousVersion ? ` (replacing version ${loaded.previousVersion})` : ''}.`,
        ...(loaded.previousVersion
          ? [
              `A signature on version ${loaded.previousVersion} or earlier does not cover it: people with a session confirmed and not yet over are asked to sign version ${loaded.version} now, everyone else when their next session is confirmed.`,
              ...(loaded.awaitingOnEarlier > 0 ? [`${loaded.awaitingOnEarlier} agreement(s) still awaiting signatures on an earlier version can no longer be signed (their cards say the text was replaced).`] : []),
            ]
          : []),
        ...offeredLine,
      ].join('\n');
    }
    default: {
      const part = SETTINGS_VERBS[verb];
      if (!part) throw new UsageError(`Unknown command "${verb}".`);
      const changes = await setSettings(db, slug, part, args, clock);
      return [`${slug}: ${part} set.`, ...changes.map((c) => `  ${c.field} = ${c.value === undefined ? 'default' : formatValue(c.value)}`)].join('\n');
    }
  }
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env, io: CliIo = processIo, clock: Clock = systemClock): Promise<number> {
  let db: Db | undefined;
  let command: Command | 'help' | undefined;
  try {
    command = parse(argv);
    if (command === 'help') {
      io.out(USAGE);
      return 0;
    }
    const schema = env.DATABASE_SCHEMA?.trim() || undefined;
    db = createDb(env.DATABASE_URL || DEFAULT_DATABASE_URL, schema ? { schema, maxConnections: 2 } : { maxConnections: 2 });
    io.out(await run(db, command, clock));
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n${USAGE}`);
      return 2;
    }
    if (error instanceof SetupRefusedError) {
      const what = command && command !== 'help' ? `${command.verb} ${command.slug}` : 'the change';
      const n = error.problems.length;
      io.err(`Refused ${what}: ${n} problem${n === 1 ? '' : 's'}; nothing was written.\n${formatProblems(error.problems)}`);
      return 1;
    }
    io.err(error instanceof PlatformIdsError ? error.message : `Failed, nothing was written: ${lastLine(error)}`);
    return 1;
  } finally {
    await db?.$disconnect();
  }
}

/** Prisma errors start with a long call-site excerpt; the cause is the last line. */
function lastLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.trim().split('\n').filter((l) => l.trim() !== '').at(-1)?.trim() ?? message;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  process.exitCode = await main(process.argv.slice(2));
}
