import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as ACData from 'adaptivecards-templating';
import type { CardRef } from '../flows/types.js';

const CARDS_DIR = fileURLToPath(new URL('../../cards/', import.meta.url));
const templates = new Map<string, ACData.Template>();

function template(name: string): ACData.Template {
  let cached = templates.get(name);
  if (!cached) {
    if (!/^[a-z0-9-]+$/.test(name)) throw new Error(`invalid card template name: ${name}`);
    cached = new ACData.Template(JSON.parse(readFileSync(`${CARDS_DIR}${name}.json`, 'utf8')));
    templates.set(name, cached);
  }
  return cached;
}

/**
 * Expand a card template with its data. Data is bound, never spliced into the template
 * text, so user text such as "${summary}" stays literal text.
 */
export function renderAdaptiveCard(card: CardRef): Record<string, unknown> {
  return template(card.template).expand({ $root: card.data }) as Record<string, unknown>;
}
