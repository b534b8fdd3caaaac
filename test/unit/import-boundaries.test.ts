import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

/**
 * The layers of src/ import only what eslint.layers.js allows (README "Architecture"): an
 * allowlist checked by eslint-plugin-boundaries, for other layers, packages and Node built-ins
 * alike. These tests run that config through ESLint's Node API: the real tree is clean, and a
 * wrong import of each kind, in each layer, is reported.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: join(ROOT, 'eslint.layers.js') });

/** What the layer rules say about `source` if it were the file `file` (relative to the root). */
async function problems(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(ROOT, file) });
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'parse'}: ${m.message}`);
}

describe('the real src tree', () => {
  it('keeps to the allowlist', async () => {
    const results = await eslint.lintFiles(['src']);
    expect(results.length).toBeGreaterThan(100);
    const found = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(ROOT.length)}:${m.line} ${m.ruleId ?? ''} ${m.message}`));
    expect(found).toEqual([]);
    // About 8 s alone on two cores; several times that with the rest of the suite beside it.
  }, 300_000);
});

describe('a wrong import is reported', () => {
  it.each([
    // The domain: pure rules, no I/O, nothing above it.
    ['src/domain/example.ts', "import { createDb } from '../db/client.js';"],
    ['src/domain/example.ts', "import type { Db } from '../db/client.js';"],
    ['src/domain/example.ts', "import type { FlowDeps } from '../flows/types.js';"],
    ['src/domain/example.ts', "import { x } from '../flows/x.js';"],
    ['src/domain/example.ts', "import { readFileSync } from 'node:fs';"],
    ['src/domain/example.ts', "import { readFileSync } from 'fs';"],
    ['src/domain/example.ts', "import { readFile } from 'node:fs/promises';"],
    ['src/domain/example.ts', "import { spawn } from 'node:child_process';"],
    ['src/domain/example.ts', "import { request } from 'node:https';"],
    ['src/domain/example.ts', "import pino from 'pino';"],
    ['src/domain/example.ts', "import { PrismaClient } from '@prisma/client';"],
    ['src/domain/example.ts', "import { Queue } from 'bullmq';"],
    ['src/domain/example.ts', "import { TurnContext } from 'botbuilder';"],
    ['src/domain/example.ts', "import { App } from '@slack/bolt';"],
    ['src/domain/example.ts', "import express from 'express';"],
    ['src/domain/example.ts', "import { parse } from 'csv-parse';"],
    ['src/domain/example.ts', "export * from '../db/client.js';"],
    ['src/domain/example.ts', "const fs = await import('node:fs');"],
    ['src/domain/rules/example.ts', "import { createDb } from '../../db/client.js';"],
    // The network and the process are globals: ESLint's no-restricted-globals, in the same config.
    ['src/domain/example.ts', "export const answer = await fetch('https://example.org');"],
    ['src/domain/example.ts', 'export const home = process.env.HOME;'],
    // The database layer: nothing from the journeys or the platforms.
    ['src/db/example.ts', "import type { Actor } from '../flows/types.js';"],
    ['src/db/example.ts', "import { createOutbox } from '../channels/outbox.js';"],
    ['src/db/example.ts', "import { TurnContext } from 'botbuilder';"],
    // The journeys are platform-neutral.
    ['src/flows/example.ts', "import { createTeamsHandler } from '../channels/teams/teams-channel.js';"],
    ['src/flows/example.ts', "import { createOutbox } from '../channels/outbox.js';"],
    ['src/flows/example.ts', "import { App } from '@slack/bolt';"],
    ['src/flows/example.ts', "import { TurnContext } from 'botbuilder';"],
    ['src/flows/example.ts', "import express from 'express';"],
    ['src/flows/example.ts', "import { createExportRouter } from '../http/export-route.js';"],
    // One platform's adapter never reaches into the other's.
    ['src/channels/slack/example.ts', "import { teamsInbound } from '../teams/teams-activity.js';"],
    ['src/channels/slack/example.ts', "import { TurnContext } from 'botbuilder';"],
    ['src/channels/teams/example.ts', "import { verifySlackSignature } from '../slack/verify-signature.js';"],
    ['src/channels/teams/example.ts', "import { App } from '@slack/bolt';"],
    // The workers deliver through the shared outbox, not through an adapter.
    ['src/scheduler/example.ts', "import { createTeamsSender } from '../channels/teams/teams-channel.js';"],
    ['src/scheduler/example.ts', "import express from 'express';"],
    // Delivery sits below the scheduler: the outbox, the adapters and the limiter never reach into it.
    ['src/channels/example.ts', "import { sweep } from '../scheduler/sweep.js';"],
    ['src/channels/teams/example.ts', "import { createScheduler } from '../../scheduler/scheduler.js';"],
    ['src/channels/slack/example.ts', "import { deliverReminder } from '../../scheduler/deliver-reminder.js';"],
    // The generic server knows no platform.
    ['src/server.ts', "import { activityShapeProblem } from './channels/teams/activity-shape.js';"],
    ['src/server.ts', "import { createBot } from './app.js';"],
    ['src/http/example.ts', "import { createSlackChannel } from '../channels/slack/slack-channel.js';"],
    ['src/cli/example.ts', "import { createBot } from '../app.js';"],
    ['src/local/example.ts', "import { handleTurn } from '../flows/router.js';"],
    ['src/report/example.ts', "import { createDb } from '../db/client.js';"],
    // Card templates may see the flows' types (CardRef), never their code.
    ['src/cards/example.ts', "import { FIRST_TRY_LEASE_MS } from '../flows/types.js';"],
    // A file outside every layer.
    ['src/elsewhere/example.ts', "export const x = 1;"],
    ['src/example.ts', "export const x = 1;"],
  ])('%s: %s', async (file, source) => {
    const found = await problems(file, source);
    expect(found.length, found.join('\n')).toBeGreaterThan(0);
    expect(found.every((p) => p.startsWith('boundaries/') || p.startsWith('no-restricted-globals:'))).toBe(true);
  });
});

describe('an allowed import passes', () => {
  it.each([
    ['src/domain/example.ts', "import { DateTime } from 'luxon';"],
    ['src/domain/example.ts', "import { z } from 'zod';"],
    ['src/domain/example.ts', "import { parse } from 'csv-parse/sync';"],
    ['src/domain/example.ts', "import { DomainError } from './errors.js';"],
    ['src/domain/example.ts', "export const bytes = Buffer.from('x');"],
    ['src/db/example.ts', "import type { Actor } from '../domain/actor.js';"],
    ['src/flows/example.ts', "import { createDb } from '../db/client.js';"],
    ['src/channels/slack/example.ts', "import { createOutbox } from '../outbox.js';"],
    ['src/channels/teams/example.ts', "import { renderAdaptiveCard } from '../../cards/render.js';"],
    ['src/cards/example.ts', "import type { CardRef } from '../flows/types.js';"],
    ['src/scheduler/example.ts', "import { createOutbox } from '../channels/outbox.js';"],
  ])('%s: %s', async (file, source) => {
    expect(await problems(file, source)).toEqual([]);
  });
});
