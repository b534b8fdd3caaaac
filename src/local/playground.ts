// Microsoft 365 Agents Playground (local mode): writes its configuration file and runs it
// as a child process. Behaviour verified against @microsoft/m365agentsplayground 0.2.28:
//
// - The playground reads `.m365agentsplayground.yml` from its working directory. Its schema
//   (0.1.1) demands EXACTLY five `users` besides `currentUser`, one team with at most one
//   channel besides General (General's conversation id is the team id), and spells the
//   user field `userPrincipleName` (sic). An invalid file makes the process print
//   "Listening on <port>" and then exit with code 1; the reason is only in
//   devTools/m365agentsplayground.log.
// - One instance is one signed-in user (`currentUser`); the web UI cannot switch users.
//   For several users run one instance per user (own port, own working directory), all
//   with the same tenant/team/channel ids: see startUserPlaygrounds. Each instance is a
//   separate world with its own serviceUrl (http://localhost:<port>/_connector); the bot
//   reaches a user's chat or the channel only through the serviceUrl stored in the
//   conversation reference it captured from that instance.
// - Nothing is persisted: restarting an instance empties every chat, and updating an
//   activity posted before the restart answers 404 ActivityNotFoundInConversation.

import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

export const PLAYGROUND_CONFIG_FILE = '.m365agentsplayground.yml';

/** Bot identity written to the configuration unless the caller gives one. */
export const DEFAULT_PLAYGROUND_BOT = {
  id: '28:5afe6a2d-0000-4000-8000-00000000b07a',
  name: 'Safeguarding Supervision',
} as const;

export interface PlaygroundUser {
  key: string;
  name: string;
  email: string;
  aadObjectId: string;
}

export interface PlaygroundConfigInput {
  tenantId: string;
  currentUserKey: string;
  users: PlaygroundUser[];
  teamName: string;
  channelName: string;
  /** Bot display name (max 42 characters): what users @mention in the channel. */
  botName?: string;
  botId?: string;
}

/** Ids the configuration gives a user, chat, team and channel (pure, deterministic). */
export function playgroundIds(input: Pick<PlaygroundConfigInput, 'teamName' | 'channelName'>) {
  const team = slug(input.teamName);
  const channel = slug(input.channelName);
  return {
    /** Team id = conversation id of its General channel. */
    teamId: `19:team-${team}@thread.tacv2`,
    channelId: `19:channel-${team}-${channel}@thread.tacv2`,
    teamAadGroupId: guidFrom(`team:${input.teamName}`),
    groupChatId: `19:groupchat-${team}@thread.v2`,
    /** `from.id` of a user in every activity (TeamsInfo.getMember wants this, not the aadObjectId). */
    userId: (key: string) => `29:${key}`,
    /** Conversation id of the user's personal chat with the bot. */
    personalChatId: (key: string) => `a:personal-${key}`,
  };
}

/**
 * Writes `<dir>/.m365agentsplayground.yml` and returns its path.
 *
 * The playground needs exactly five users besides the current one: with fewer, filler users
 * are added; with more, only the first five others (in array order) are written.
 */
export function writePlaygroundConfig(dir: string, config: PlaygroundConfigInput): string {
  const current = config.users.find((u) => u.key === config.currentUserKey);
  if (!current) throw new Error(`writePlaygroundConfig: no user with key "${config.currentUserKey}"`);
  const botName = config.botName ?? DEFAULT_PLAYGROUND_BOT.name;
  if (botName.length > 42) throw new Error('writePlaygroundConfig: botName longer than 42 characters');
  const ids = playgroundIds(config);
  const others = config.users.filter((u) => u.key !== current.key).slice(0, 5);
  for (let i = others.length; i < 5; i++) {
    others.push({
      key: `filler-${i + 1}`,
      name: `Filler User ${i + 1}`,
      email: `filler${i + 1}@example.invalid`,
      aadObjectId: guidFrom(`filler:${i + 1}`),
    });
  }
  const q = (s: string) => JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
  const user = (u: PlaygroundUser, first: string, rest: string) => {
    const { givenName, surname } = splitName(u.name);
    return [
      `id: ${q(ids.userId(u.key))}`,
      `name: ${q(u.name)}`,
      `userPrincipleName: ${q(u.email)}`,
      `aadObjectId: ${q(u.aadObjectId)}`,
      `givenName: ${q(givenName)}`,
      `surname: ${q(surname)}`,
      `email: ${q(u.email)}`,
    ].map((line, i) => (i === 0 ? first : rest) + line);
  };
  const lines = [
    '# Written by src/local/playground.ts (Microsoft 365 Agents Playground, config schema 0.1.1).',
    'version: "0.1.1"',
    `tenantId: ${q(config.tenantId)}`,
    'bot:',
    `  id: ${q(config.botId ?? DEFAULT_PLAYGROUND_BOT.id)}`,
    `  name: ${q(botName)}`,
    'currentUser:',
    ...user(current, '  ', '  '),
    'users:',
    ...others.flatMap((u) => user(u, '  - ', '    ')),
    'personalChat:',
    `  id: ${q(ids.personalChatId(current.key))}`,
    'groupChat:',
    `  id: ${q(ids.groupChatId)}`,
    '  name: "Group Chat"',
    'team:',
    `  id: ${q(ids.teamId)}`,
    `  name: ${q(config.teamName)}`,
    `  aadGroupId: ${q(ids.teamAadGroupId)}`,
    '  channels:',
    `    - id: ${q(ids.channelId)}`,
    `      name: ${q(config.channelName)}`,
    '',
  ];
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, PLAYGROUND_CONFIG_FILE);
  writeFileSync(file, lines.join('\n'), 'utf8');
  return file;
}

export interface PlaygroundOptions {
  /** The bot's messaging endpoint, e.g. http://localhost:3978/api/messages. */
  botEndpoint: string;
  /** Preferred port; if taken the playground picks a random one (the URL says which). */
  port: number;
  /** Working directory: must hold .m365agentsplayground.yml; devTools/ (its log) goes here. */
  workDir: string;
  logger?: (line: string) => void;
  /** How long to wait for the HTTP port to answer (default 30 s). */
  timeoutMs?: number;
}

export interface RunningPlayground {
  url: string;
  stop(): Promise<void>;
}

/** Absolute path of the playground's cli.js. */
export function playgroundCliPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('@microsoft/m365agentsplayground/package.json')), 'cli.js');
}

/** Spawns the playground (Teams channel, telemetry off, no browser) and waits until it answers. */
export async function startPlayground(options: PlaygroundOptions): Promise<RunningPlayground> {
  const log = options.logger ?? (() => undefined);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const logFile = path.join(options.workDir, 'devTools', 'm365agentsplayground.log');
  if (!existsSync(path.join(options.workDir, PLAYGROUND_CONFIG_FILE))) {
    log(`playground: no ${PLAYGROUND_CONFIG_FILE} in ${options.workDir}; it will use its built-in demo users`);
  }
  rmSync(logFile, { force: true });

  const child = spawn(
    process.execPath,
    [playgroundCliPath(), '-e', options.botEndpoint, '-c', 'msteams', '-p', String(options.port), '--dt'],
    {
      cwd: options.workDir,
      env: {
        ...process.env,
        TEAMSAPPTESTER_BROWSER: 'none', // do not try to open a browser
        M365_AGENTS_PLAYGROUND_CONFIG_PATH: path.join(options.workDir, PLAYGROUND_CONFIG_FILE),
        M365_AGENTS_PLAYGROUND_LOGFILE: logFile,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );

  const state: { exit: { code: number | null; signal: NodeJS.Signals | null } | null } = { exit: null };
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      state.exit = { code, signal };
      resolve();
    });
  });
  const listening: { port: number | null } = { port: null };
  const output: string[] = [];
  const onLine = (line: string) => {
    if (!line.trim()) return;
    output.push(line);
    if (output.length > 50) output.shift();
    const m = /Listening on (\d+)/.exec(line);
    if (m?.[1]) listening.port = Number(m[1]);
    log(`playground: ${line}`);
  };
  pipeLines(child, onLine);

  const stop = async () => {
    if (state.exit) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!state.exit) child.kill('SIGKILL');
    }, 5_000);
    await exitPromise;
    clearTimeout(timer);
  };

  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (state.exit) {
        const reason = readTail(logFile).filter((l) => /^error /.test(l)).join('\n');
        throw new Error(
          `playground exited (code ${String(state.exit.code)}) before it was ready` +
            (reason ? `:\n${reason}` : `; output:\n${output.join('\n')}`),
        );
      }
      if (Date.now() > deadline) throw new Error(`playground did not answer within ${timeoutMs} ms`);
      const port = listening.port;
      if (port !== null) {
        const url = `http://localhost:${port}`;
        // Answers once the configuration is loaded (an invalid file makes the process exit instead).
        const ok = await fetch(`${url}/_internal/v1/config`, { signal: AbortSignal.timeout(2_000) })
          .then((r) => r.ok)
          .catch(() => false);
        if (ok && !state.exit) {
          if (port !== options.port) log(`playground: port ${options.port} was taken, using ${port}`);
          return { url, stop };
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } catch (err) {
    await stop();
    throw err;
  }
}

export interface UserPlayground extends RunningPlayground {
  userKey: string;
  port: number;
  workDir: string;
}

/**
 * One playground per user, all against the same bot and with the same tenant, team and
 * channel ids: the way to run an E2E with several people (one instance cannot switch user).
 * Instance i listens on basePort + i and lives in <baseDir>/<userKey>.
 */
export async function startUserPlaygrounds(options: {
  botEndpoint: string;
  basePort: number;
  baseDir: string;
  config: Omit<PlaygroundConfigInput, 'currentUserKey'>;
  userKeys: string[];
  logger?: (line: string) => void;
}): Promise<Map<string, UserPlayground>> {
  const started = new Map<string, UserPlayground>();
  try {
    for (const [i, userKey] of options.userKeys.entries()) {
      const workDir = path.join(options.baseDir, userKey);
      writePlaygroundConfig(workDir, { ...options.config, currentUserKey: userKey });
      const log = options.logger;
      const pg = await startPlayground({
        botEndpoint: options.botEndpoint,
        port: options.basePort + i,
        workDir,
        ...(log ? { logger: (line: string) => log(`[${userKey}] ${line}`) } : {}),
      });
      started.set(userKey, { ...pg, userKey, port: Number(new URL(pg.url).port), workDir });
    }
    return started;
  } catch (err) {
    await Promise.all([...started.values()].map((p) => p.stop()));
    throw err;
  }
}

function pipeLines(child: ChildProcess, onLine: (line: string) => void) {
  for (const stream of [child.stdout, child.stderr]) {
    if (!stream) continue;
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        onLine(buf.slice(0, i).replace(/\r$/, ''));
        buf = buf.slice(i + 1);
      }
    });
    stream.on('end', () => {
      if (buf) onLine(buf);
      buf = '';
    });
  }
}

function readTail(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-30);
  } catch {
    return [];
  }
}

function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'x'
  );
}

function guidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function splitName(name: string): { givenName: string; surname: string } {
  const parts = name.trim().split(/\s+/);
  if (parts.length < 2) return { givenName: name.trim() || 'User', surname: '-' };
  return { givenName: parts.slice(0, -1).join(' '), surname: parts[parts.length - 1] ?? '-' };
}
