import { helpTypeNamed, saysEnoughToKeep, stepWordsOf } from '../domain/conversation-words.js';
import { readCues, type CueReading } from '../domain/risk-cues.js';
import { HELP_TYPE_LABELS, type HelpType } from '../domain/triage.js';
import { intakeStateOf, loadRequest } from '../db/requests.js';
import { addToRequest, offerToAdd, OFFER_PROMPT } from './add-to-request.js';
import { kindCard, openRequestCard, riskCard } from './cards.js';
import { keptWords, parseDraft, saveDraft, withWords, type Draft, type DraftData } from './intake-draft.js';
import { answerRisk, cancelRequestDraft, detailsReply, routesForCue, startRequest, suggestionOf, toDetails } from './request-intake.js';
import type { FlowDeps, OutMessage, TurnResult } from './types.js';
import type { Actor } from '../domain/actor.js';

/**
 * A message typed in the personal chat, read at whatever step the person is: what it says is
 * understood where it can be (yes or no, a kind of help, "cancel", "add" or "new"), anything
 * that says enough is kept as the draft summary (checked for patient-identifiable detail) so
 * nobody types it twice, and anything else gets a short reprompt saying what to type or press.
 * Someone at risk is understood before all of it, and the risk question is never skipped.
 */

/** A typed yes to the risk question (also read by urgent-turn.ts: it may be one). */
export const YES = /^(y|yes|yeah|yep|someone is at risk)\b/i;
const NO = /^(n|no|nope|not now)\b/i;

const RISK_REPROMPT = 'Please answer the question first: is anyone at immediate risk of harm right now? (yes or no)';
const KIND_WORDS = 'Press a button, or type "advice", "session", "child death" or "emotional impact". Type "cancel" to stop.';

/** Save the draft at its step if the message changed it. */
async function remember(deps: FlowDeps, actor: Actor, draft: Draft, data: DraftData): Promise<void> {
  if (JSON.stringify(data) !== JSON.stringify(draft.data)) await saveDraft(deps, actor, draft.step, data);
}

/** A message while the risk question is open: a "yes" is taken at once, a risk cue is never taken as a "no". */
async function atRiskQuestion(deps: FlowDeps, actor: Actor, draft: Draft, text: string, reading: CueReading): Promise<TurnResult> {
  const suggested = suggestionOf(reading) ?? draft.data.suggested;
  let data: DraftData = { ...withWords(draft.data, keptWords(text)), ...(suggested ? { suggested } : {}) };
  if (YES.test(text)) {
    await remember(deps, actor, draft, data);
    return answerRisk(deps, actor, true);
  }
  if (reading.immediateRisk) {
    await remember(deps, actor, draft, data);
    return {
      replies: [
        await routesForCue(deps, actor, reading),
        { card: riskCard('Please answer with a button (or type yes or no), so that I know whether to alert the safeguarding team now:') },
      ],
    };
  }
  if (NO.test(text)) {
    await remember(deps, actor, draft, data);
    return answerRisk(deps, actor, false);
  }
  if (reading.childDeath || reading.emotionalImpact) {
    await remember(deps, actor, draft, data);
    const heard = reading.childDeath ? "I'm sorry you have been involved in the death of a child; I'll take you to that next." : "Thank you for telling me how you feel; I'll come to that next.";
    return { replies: [{ card: riskCard(`${heard} First, please answer this:`) }] };
  }
  // A kind of help named now is remembered for after the question, never instead of it.
  const named = helpTypeNamed(text);
  if (named) data = { ...data, helpType: named };
  await remember(deps, actor, draft, data);
  const heard = named ? `${HELP_TYPE_LABELS[named]}: I'll come to that next. ` : '';
  return { replies: [{ text: `${heard}${RISK_REPROMPT}` }] };
}

/** Back to the risk question because of something written after it was answered "no". */
async function askRiskAgain(deps: FlowDeps, actor: Actor, data: DraftData, reading: CueReading): Promise<TurnResult> {
  await saveDraft(deps, actor, 'risk', { ...data, immediateRisk: undefined });
  return {
    replies: [
      await routesForCue(deps, actor, reading),
      { card: riskCard('You told me earlier that no one was at immediate risk, but what you wrote now sounds as if someone may be. Please answer again:') },
    ],
  };
}

/**
 * The kind of help a message at a later step leads to. At the "what kind of help" step, any kind
 * it names or suggests; at the details step, a child's death, or a kind named on its own
 * ("a session instead"): a description that happens to mention a session changes nothing.
 */
function typedHelpType(draft: Draft, text: string, reading: CueReading): HelpType | undefined {
  const suggested = suggestionOf(reading);
  const named = helpTypeNamed(text);
  if (draft.step === 'kind') return named ?? suggested;
  if (suggested === 'CHILD_DEATH' || named === 'CHILD_DEATH') return 'CHILD_DEATH';
  return named && !saysEnoughToKeep(text) ? named : undefined;
}

/** A message at the "what kind of help" or details step: a cue is acted on, a kind of help taken, words kept for the summary. */
async function atLaterStep(deps: FlowDeps, actor: Actor, draft: Draft, text: string, reading: CueReading): Promise<TurnResult> {
  const data = withWords(draft.data, keptWords(text));
  const added = data !== draft.data;
  if (reading.riskCue && !draft.data.immediateRisk) return askRiskAgain(deps, actor, data, reading);
  const routes: OutMessage[] = reading.immediateRisk
    ? [
        await routesForCue(
          deps,
          actor,
          reading,
          draft.data.immediateRisk ? 'You told me someone is at risk, and the safeguarding team has been alerted. If anyone is at risk now, use these routes.' : undefined,
        ),
      ]
    : [];
  const typed = typedHelpType(draft, text, reading);
  if (typed && draft.data.helpType !== typed) return { replies: [...routes, ...(await toDetails(deps, actor, data, typed))] };
  if (draft.step === 'details' && draft.data.helpType) {
    await remember(deps, actor, draft, data);
    const say = added
      ? 'I have added what you wrote to the summary below. Check the card and press Send request, or type "cancel" to stop.'
      : 'Please fill in the details card and press Send request. Type "cancel" to stop.';
    return { replies: [...routes, { text: say }, await detailsReply(deps, actor, draft.data.helpType, data)] };
  }
  await remember(deps, actor, draft, data);
  const heading = added ? `I have kept what you wrote for your summary. What kind of help is it? ${KIND_WORDS}` : `I did not catch which kind of help you need. ${KIND_WORDS}`;
  return { replies: [...routes, { card: kindCard(heading) }] };
}

/** A message while "add this to SGS-…, or start a new request?" is asked. */
async function atOffer(deps: FlowDeps, actor: Actor, draft: Draft, text: string, reading: CueReading): Promise<TurnResult> {
  const open = draft.data.addTo ? await deps.db.supervisionRequest.findFirst({ where: { id: draft.data.addTo, organisationId: actor.organisationId } }) : null;
  // Someone at risk, a child's death, or the request gone: a new request, with everything they wrote.
  if (reading.riskCue || reading.childDeath || !open || open.status === 'CLOSED') {
    return startRequest(deps, actor, reading, open && open.status !== 'CLOSED' ? open.reference : undefined, text);
  }
  const said = stepWordsOf(text);
  if (said === 'add') return addToRequest(deps, actor, { requestId: open.id });
  if (said === 'new') return startRequest(deps, actor);
  const data = withWords(draft.data, keptWords(text));
  const request = await loadRequest(deps.db, open.id, actor.organisationId);
  const prompt = data !== draft.data ? `I have added that to what you wrote. ${OFFER_PROMPT}` : `I did not catch that. ${OFFER_PROMPT}`;
  const routes = reading.immediateRisk ? [await routesForCue(deps, actor, reading)] : [];
  return { replies: [...routes, await offerToAdd(deps, actor, request, data, prompt)] };
}

/** A chat message in the personal conversation. */
export async function handlePersonalMessage(deps: FlowDeps, actor: Actor, text: string, read?: CueReading): Promise<TurnResult> {
  const reading = read ?? readCues(text);
  const state = await intakeStateOf(deps.db, actor.personId);
  const draft = parseDraft(state.draft);
  if (draft && !reading.riskCue && stepWordsOf(text) === 'cancel') return cancelRequestDraft(deps, actor);
  if (draft?.step === 'add-or-new') return atOffer(deps, actor, draft, text, reading);
  if (draft?.step === 'risk') return atRiskQuestion(deps, actor, draft, text, reading);
  if (draft) return atLaterStep(deps, actor, draft, text, reading);
  if (state.openRequestId) {
    const open = await loadRequest(deps.db, state.openRequestId, actor.organisationId);
    // Someone at risk, or a child's death, is a new request whatever else is open.
    if (reading.riskCue || reading.childDeath) return startRequest(deps, actor, reading, open.reference, text);
    const routes = reading.immediateRisk ? [await routesForCue(deps, actor, reading)] : [];
    const words = keptWords(text);
    // Nothing to add ("any news?", "thanks", emoji): where the request stands.
    if (!words) return { replies: [...routes, { card: openRequestCard(open) }] };
    return { replies: [...routes, await offerToAdd(deps, actor, open, withWords({}, words))] };
  }
  return startRequest(deps, actor, reading, undefined, text);
}
