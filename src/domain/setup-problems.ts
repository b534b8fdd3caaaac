import type { z } from 'zod';

/**
 * What is wrong with an organisation set-up change (`npm run org`), one problem per field: the
 * field as the bot names it ("responseTargets.urgent.targetMinutes", "settings.reminders.reminderTimeOfDay",
 * a CSV column) and why. Problems in a file also carry the line (the header is line 1).
 */
export interface SetupProblem {
  line?: number;
  field: string;
  reason: string;
}

/** A change refused before anything was written, with every problem found. */
export class SetupRefusedError extends Error {
  override name = 'SetupRefusedError';
  constructor(
    readonly problems: readonly SetupProblem[],
    /** What was refused, for the first line of the message ("organisation las-demo: contacts"). */
    readonly subject?: string,
  ) {
    super(problems.map(describeProblem).join('\n'));
  }
}

/** Refuses with one problem. */
export function refuse(field: string, reason: string): never {
  throw new SetupRefusedError([{ field, reason }]);
}

/** "responseTargets.urgent.targetMinutes: must be …", or "line 4, staff_group: unknown …" for a file. */
export function describeProblem(problem: SetupProblem): string {
  return problem.line === undefined ? `${problem.field}: ${problem.reason}` : `line ${problem.line}, ${problem.field}: ${problem.reason}`;
}

/**
 * Zod's issues as problems named by their path under `prefix` (["settings"] gives
 * "settings.reminders.actionDueSoonDays"); an unknown key is named itself ("settings.remindersOff:
 * is not a known setting"), as the start check names it.
 */
export function problemsFromZod(error: z.ZodError, prefix: readonly string[]): SetupProblem[] {
  const problems: SetupProblem[] = [];
  for (const issue of error.issues) {
    const path = [...prefix, ...issue.path.map(String)];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: [...path, key].join('.'), reason: 'is not a known setting' });
    } else {
      problems.push({ field: path.join('.'), reason: issue.message });
    }
  }
  return problems;
}
