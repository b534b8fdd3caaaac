// A turn in which someone says a person is at risk now (the "Yes" to the risk question, or words
// the cue rules read as risk in a personal chat) is answered within a time budget whatever the
// database does (issue 22): if the turn fails, or has not finished within URGENT_TURN_BUDGET_MS,
// the channel answers from the urgent routes every web process holds (urgent-copy.ts), saying
// truthfully what happened; a turn still running goes on and its own answer follows.
import { readCues } from '../domain/risk-cues.js';
import type { Inbound } from './types.js';

/** How long an urgent turn may take before the routes are given without it (Teams allows an invoke 15 s; a person waits far less). */
export const URGENT_TURN_BUDGET_MS = 2_000;

/** When the turn failed: nothing was recorded, so nobody was alerted by the bot. */
export const URGENT_FAULT_TEXT =
  'I could not record this just now because of a fault on my side, so I have not been able to alert the safeguarding team. ' +
  'If anyone is at risk now, use these routes straight away. Please tell me again in a few minutes.';

/** When the turn is slow: it is still going, and what it does will be said here. */
export const URGENT_SLOW_TEXT =
  'I am recording this and alerting the safeguarding team, but it is taking longer than it should. ' +
  'If anyone is at risk now, use these routes straight away. I will tell you here when the team has been alerted.';

/** Whether this turn says someone may be at risk now. */
export function isUrgentInbound(inbound: Inbound): boolean {
  if (inbound.kind === 'action') return inbound.actionId === 'intake.risk' && inbound.value.answer === 'yes';
  return inbound.conversation.kind === 'PERSONAL' && readCues(inbound.text).riskCue;
}

/** Resolves true if `work` has not settled within `ms` (it keeps running), false if it has (fulfilled or not: its outcome is the caller's). */
export async function overBudget(work: Promise<unknown>, ms: number = URGENT_TURN_BUDGET_MS): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), ms);
  });
  try {
    return await Promise.race([
      work.then(
        () => false,
        () => false,
      ),
      late,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
