import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The domain is pure rules: no database, queue, chat platform, web server or I/O. Channels and
 * flows do the I/O and call into it. (csv-parse/sync, luxon and zod are pure and allowed.)
 */
const SRC = fileURLToPath(new URL('../../src/', import.meta.url));
const DOMAIN = join(SRC, 'domain');
const DB = join(SRC, 'db');

/** Packages the domain must not import, by exact name or any subpath of it. */
const FORBIDDEN_PACKAGES = [
  '@prisma/client',
  'bullmq',
  'ioredis',
  'botbuilder',
  'adaptivecards-templating',
  'express',
  'pg',
  'node:fs',
  'node:http',
  'node:net',
  // The same built-ins without the node: prefix, and their close relatives.
  'fs',
  'http',
  'net',
  'https',
  'node:https',
];
/** Package scopes the domain must not import at all. */
const FORBIDDEN_PREFIXES = ['@slack/'];

/** Every module specifier in a source text: static, side-effect, re-export, dynamic and require. */
function importsIn(source: string): string[] {
  const specifiers: string[] = [];
  const patterns = [
    /\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"\n]+)['"]/g,
    /\bimport\s*['"]([^'"\n]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`\n]+)['"`]\s*\)/g,
    /\brequire\s*\(\s*['"`]([^'"`\n]+)['"`]\s*\)/g,
  ];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) specifiers.push(match[1]!);
  return specifiers;
}

/** Why a specifier is not allowed in the file, or undefined when it is fine. */
function violation(specifier: string, file: string): string | undefined {
  for (const name of FORBIDDEN_PACKAGES) {
    if (specifier === name || specifier.startsWith(`${name}/`)) return `imports ${specifier}`;
  }
  for (const prefix of FORBIDDEN_PREFIXES) {
    if (specifier.startsWith(prefix)) return `imports ${specifier}`;
  }
  if (specifier.startsWith('.')) {
    const target = resolve(dirname(file), specifier).replace(/\.(js|ts|mjs|mts)$/, '');
    if (target === DB || target.startsWith(DB + sep)) return `imports the database layer (${specifier})`;
  }
  return undefined;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|mts|cts|js|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name))
    .sort();
}

const FILES = sourceFiles(DOMAIN);

describe('the domain imports nothing that does I/O', () => {
  it('checks a non-empty list of domain files', () => {
    expect(FILES.length).toBeGreaterThan(0);
    const names = FILES.map((f) => relative(DOMAIN, f));
    for (const known of ['identifiers.ts', 'permissions.ts', 'service-time.ts', 'directory-rows.ts']) {
      expect(names).toContain(known);
    }
  });

  it('finds the imports the domain does have (so the check is really reading them)', () => {
    const all = new Set(FILES.flatMap((f) => importsIn(readFileSync(f, 'utf8'))));
    expect(all).toContain('luxon');
    expect(all).toContain('zod');
    expect(all).toContain('csv-parse/sync');
    expect(all).toContain('./errors.js');
  });

  it.each(FILES.map((f) => [relative(SRC, f), f]))('%s', (_name, file) => {
    const problems = importsIn(readFileSync(file, 'utf8'))
      .map((specifier) => violation(specifier, file))
      .filter((problem): problem is string => problem !== undefined);
    expect(problems).toEqual([]);
  });
});

describe('the boundary check itself', () => {
  const file = join(DOMAIN, 'example.ts');
  const nested = join(DOMAIN, 'rules', 'example.ts');

  it.each([
    "import { PrismaClient } from '@prisma/client';",
    "import type { Prisma } from '@prisma/client';",
    "import { db } from '../db/client.js';",
    "import { db } from '../db.js';",
    "import { Queue } from 'bullmq';",
    "import Redis from 'ioredis';",
    "import { TurnContext } from 'botbuilder';",
    "import { App } from '@slack/bolt';",
    "import { WebClient } from '@slack/web-api';",
    "import * as ACData from 'adaptivecards-templating';",
    "import express from 'express';",
    "import pg from 'pg';",
    "import { Pool } from 'pg/lib/index.js';",
    "import { readFileSync } from 'node:fs';",
    "import { readFile } from 'node:fs/promises';",
    "import { readFileSync } from 'fs';",
    "import { createServer } from 'node:http';",
    "import { connect } from 'node:net';",
    "import {\n  readFileSync,\n  writeFileSync,\n} from 'node:fs';",
    "export { prisma } from '../db/index.js';",
    "export * from 'bullmq';",
    "import 'express';",
    "const fs = await import('node:fs');",
    "const pg = require('pg');",
  ])('catches %j', (source) => {
    const problems = importsIn(source).map((s) => violation(s, file)).filter(Boolean);
    expect(problems.length).toBeGreaterThan(0);
  });

  it('catches the database layer from a nested folder too', () => {
    expect(violation('../../db/client.js', nested)).toBeDefined();
    expect(violation('../db/client.js', nested)).toBeUndefined(); // that is src/domain/db, not src/db
  });

  it.each([
    "import { parse } from 'csv-parse/sync';",
    "import { DateTime } from 'luxon';",
    "import { z } from 'zod';",
    "import { DomainError } from './errors.js';",
    "import type { ServiceHours } from './org-settings.js';",
    "import { something } from '../dbx/helpers.js';",
    "import { pgFormat } from 'pg-format-pure';",
    "import { x } from 'expressive';",
  ])('allows %j', (source) => {
    const specifiers = importsIn(source);
    expect(specifiers).toHaveLength(1);
    expect(specifiers.map((s) => violation(s, file)).filter(Boolean)).toEqual([]);
  });
});
