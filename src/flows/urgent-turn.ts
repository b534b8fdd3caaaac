// A turn in which someone says a person is at risk now (the "Yes" to the risk question, pressed or typed, or words
// the cue rules read as risk in a personal chat) is answered within a time budget whatever the
// database does (issue 22): if the turn fails, or has not finished within URGENT_TURN_BUDGET_MS,
// the channel answers from the urgent routes every web process holds (urgent-copy.ts), saying
// truthfully what happened; a turn still running goes on and its own answer follows.
import { readCues } from '../domain/risk-cues.js';
import { YES } from './personal-message.js';
import type { Inbound } from './types.js';

/** How long an urgent turn may take before the routes are given without it: they reach the person within 2 s (Teams allows an invoke 15 s; a person at risk waits far less). */
export const URGENT_TURN_BUDGET_MS = 1_500;

/**
 * Every other turn's budget: past it the platform's HTTP request is answered (Teams waits 15 s
 * for it, then shows the person an error) and the turn goes on; what it says then arrives as
 * messages.
 */
export const TURN_BUDGET_MS = 10_000;

export const TURN_SLOW_TEXT = 'This is taking longer than it should. I am still doing it and will reply here when it is done.';

/**
 * How sure the turn is that it says someone is at risk: 'said' (the "Yes" button, words the cue
 * rules read as risk) or 'maybe' (a typed yes: it answers the risk question only if that was the
 * question asked, which is in the database). The texts for 'maybe' promise nothing about an alert.
 */
export type UrgentTurn = 'said' | 'maybe';

/** When the turn failed: nothing was recorded, so nobody was alerted by the bot. */
export const URGENT_FAULT_TEXT =
  'I could not record this just now because of a fault on my side, so I have not been able to alert the safeguarding team. ' +
  'If anyone is at risk now, use these routes straight away. Please tell me again in a few minutes.';

/** When the turn failed but what matters was kept in the spool (urgent-spool.ts), to be passed on once the records are back. */
export function urgentKeptText(reference: string, urgent: UrgentTurn = 'said'): string {
  const what = urgent === 'said' ? 'your report' : 'your answer';
  return (
    `I could not record this just now because of a fault on my side, so the safeguarding team has not been alerted yet. ` +
    `I have kept ${what} (${reference}) and will pass it to them as soon as my records are back, and tell you here when I have. ` +
    'If anyone is at risk now, use these routes straight away.'
  );
}

/** When the turn is slow: it is still going, and what it does will be said here. */
export const URGENT_SLOW_TEXT =
  'I am recording this and alerting the safeguarding team, but it is taking longer than it should. ' +
  'If anyone is at risk now, use these routes straight away. I will tell you here when the team has been alerted.';

/** When a typed yes is slow: it may not have been about risk, so no alert is promised. */
export const MAYBE_URGENT_SLOW_TEXT =
  'This is taking longer than it should. If you are telling me someone is at risk now, use these routes straight away; I will reply here when I have finished.';

export const slowTextFor = (urgent: UrgentTurn) => (urgent === 'said' ? URGENT_SLOW_TEXT : MAYBE_URGENT_SLOW_TEXT);

/** Whether this turn says someone may be at risk now, and how surely. */
export function urgentTurnOf(inbound: Inbound): UrgentTurn | undefined {
  if (inbound.kind === 'action') return inbound.actionId === 'intake.risk' && inbound.value.answer === 'yes' ? 'said' : undefined;
  if (inbound.conversation.kind !== 'PERSONAL') return undefined;
  if (readCues(inbound.text).riskCue) return 'said';
  // A typed yes may answer the risk question: if the turn fails or is slow the routes do no
  // harm, and the replay of a kept one checks what it answered (urgent-replay.ts).
  return YES.test(inbound.text.trim()) ? 'maybe' : undefined;
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
