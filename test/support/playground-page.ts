// Page object over the Microsoft 365 Agents Playground web UI (0.2.28), driven by
// playwright-core in headless Debian Chromium. Selectors verified against the running UI:
//
//   chat list        role=treeitem "Personal Chat" | "<Team> - <Channel>" (e.g. "My Team - General")
//   personal chat    composer = [data-lexical-editor] contenteditable (role textbox, no name),
//                    Enter sends (button "Send Message" too)
//   channel          "new post" box = role=group containing button "Post" (exact); each post is a
//                    role=group holding its replies and a reply composer (button "Send Message").
//                    Channel posts reach the bot ONLY when they @mention it: type "@<bot name>",
//                    pick the role=menuitem containing "<bot name>" in role=listbox "Typeahead
//                    menu", then the text. Newest post is at the TOP.
//   Adaptive Card    .ac-adaptiveCard; Input.Text = role textbox named by its label (or its
//                    placeholder when it has no label); actions = role button named by title;
//                    ChoiceSet compact = role combobox + role option; expanded = role radio;
//                    Input.Date = role combobox (fill "YYYY-MM-DD" then Escape); Toggle = checkbox.
//
// Pitfall: Playwright's fill()/pressSequentially() on a card's Input.Text is NOT seen by the
// card (the value shows but the Action.Execute data lacks it, reliably on a page's first
// card). Clicking the input and typing with the keyboard works every time; fillCardInput
// does that.
//
// One page = one user (the playground's currentUser); there is no user switch in the UI.
// Use one playground instance per user (src/local/playground.ts startUserPlaygrounds) and
// one PlaygroundPage per instance. Chat history lives in the page: a reload starts empty
// (messages sent while no page was connected are delivered to the next page that connects).

import { chromium, type Browser, type Locator, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

export interface PlaygroundPageOptions {
  /** Bot display name as in the playground config (needed to @mention it in channels). */
  botName?: string;
  /** Default timeout for waits, ms (default 15 000). */
  timeoutMs?: number;
}

type View = 'none' | 'personal' | 'channel';

export class PlaygroundPage {
  readonly botName: string;
  readonly timeoutMs: number;
  private view: View = 'none';

  constructor(
    readonly page: Page,
    options: PlaygroundPageOptions = {},
  ) {
    this.botName = options.botName ?? 'Safeguarding Supervision';
    this.timeoutMs = options.timeoutMs ?? 15_000;
  }

  /** Opens the playground at `url` in a new page of `browser` and waits for the chat list. */
  static async open(browser: Browser, url: string, options: PlaygroundPageOptions = {}): Promise<PlaygroundPage> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    const pg = new PlaygroundPage(page, options);
    await page.getByRole('treeitem', { name: 'Personal Chat' }).waitFor({ timeout: pg.timeoutMs });
    return pg;
  }

  /** Display name of the signed-in user (the config's currentUser), from the header. */
  async currentUserName(): Promise<string> {
    const avatar = this.page.getByRole('toolbar').getByRole('img', { name: /\S/ }).last();
    return (await avatar.getAttribute('aria-label')) ?? '';
  }

  async openPersonalChat(): Promise<void> {
    await this.page.getByRole('treeitem', { name: 'Personal Chat', exact: true }).click();
    await this.composer().waitFor({ timeout: this.timeoutMs });
    this.view = 'personal';
  }

  /** Opens a channel by its name ("General" or the configured channel). The first open
   * sends the bot installationUpdate + conversationUpdate for that channel. */
  async openChannel(name: string): Promise<void> {
    const item = this.page.getByRole('treeitem', { name: new RegExp(` - ${escapeRegExp(name)}$`) });
    await item.click();
    await this.newPostBox().waitFor({ timeout: this.timeoutMs });
    this.view = 'channel';
  }

  /**
   * Sends `text`. Personal chat: typed into the composer, Enter. Channel: a new top-level
   * post that @mentions the bot (unless mentionBot is false; the bot then never sees it).
   */
  async send(text: string, options: { mentionBot?: boolean } = {}): Promise<void> {
    if (this.view === 'channel') {
      const box = this.newPostBox();
      await box.getByRole('textbox').click();
      if (options.mentionBot ?? true) await this.typeMention();
      await this.page.keyboard.type(text);
      await box.getByRole('button', { name: 'Post', exact: true }).click();
      return;
    }
    if (this.view === 'none') await this.openPersonalChat();
    await this.composer().click();
    await this.page.keyboard.type(text);
    // Click rather than Enter: a capitalised word can open the mention menu, which takes Enter.
    await this.page.getByRole('button', { name: 'Send Message' }).last().click();
  }

  /** Replies in the channel thread whose post contains `threadText` (mentions the bot by default). */
  async reply(threadText: string, text: string, options: { mentionBot?: boolean } = {}): Promise<void> {
    const thread = this.page
      .getByRole('group')
      .filter({ hasText: threadText })
      .filter({ has: this.page.getByRole('button', { name: 'Send Message' }) })
      .first();
    await thread.locator('[data-lexical-editor="true"]').click();
    if (options.mentionBot ?? true) await this.typeMention();
    await this.page.keyboard.type(text);
    await thread.getByRole('button', { name: 'Send Message' }).click();
  }

  /** Waits for a bot message (or card TextBlock) containing `text`; both render as paragraphs,
   * and a card RichTextBlock (typed text, shown without markdown) as `.ac-richTextBlock`.
   * (The chat list preview and the log panel repeat message text but not as paragraphs.) */
  async waitForText(text: string, timeoutMs = this.timeoutMs): Promise<Locator> {
    const all = this.page.getByRole('paragraph').or(this.page.locator('.ac-adaptiveCard .ac-richTextBlock')).filter({ hasText: text });
    const loc = this.view === 'channel' ? all.first() : all.last();
    await loc.waitFor({ timeout: timeoutMs });
    return loc;
  }

  /** Rendered Adaptive Card containing `text` (the newest: bottom of a chat, top of a channel). */
  card(text: string): Locator {
    const cards = this.page.locator('.ac-adaptiveCard').filter({ hasText: text });
    return this.view === 'channel' ? cards.first() : cards.last();
  }

  async waitForCardWithText(text: string, timeoutMs = this.timeoutMs): Promise<Locator> {
    const card = this.card(text);
    await card.waitFor({ timeout: timeoutMs });
    return card;
  }

  /** Types into an Input.Text found by its label or placeholder (replaces its value). */
  async fillCardInput(cardText: string, labelOrPlaceholder: string, value: string): Promise<void> {
    const card = await this.waitForCardWithText(cardText);
    const input = card
      .getByRole('textbox', { name: labelOrPlaceholder })
      .or(card.getByPlaceholder(labelOrPlaceholder))
      .first();
    await input.click();
    await this.page.keyboard.press('ControlOrMeta+a');
    await this.page.keyboard.press('Delete');
    if (value) await this.page.keyboard.type(value);
  }

  /** Picks a choice of an Input.ChoiceSet (compact dropdown or expanded radios) by its title. */
  async selectCardChoice(cardText: string, label: string, choiceTitle: string): Promise<void> {
    const card = await this.waitForCardWithText(cardText);
    const combo = card.getByRole('combobox', { name: label });
    if (await combo.count()) {
      await combo.first().click();
      await this.page.getByRole('option', { name: choiceTitle, exact: true }).click();
      return;
    }
    await card.getByRole('radiogroup', { name: label }).getByRole('radio', { name: choiceTitle, exact: true }).check();
  }

  /** Sets an Input.Date; `isoDate` is YYYY-MM-DD (what the bot receives). */
  async setCardDate(cardText: string, label: string, isoDate: string): Promise<void> {
    const card = await this.waitForCardWithText(cardText);
    const input = card.getByRole('combobox', { name: label }).first();
    await input.fill(isoDate);
    await input.press('Escape'); // close the calendar pop-up, which otherwise covers the card
  }

  /** Ticks or unticks an Input.Toggle by its title or label. */
  async setCardToggle(cardText: string, titleOrLabel: string, on: boolean): Promise<void> {
    const card = await this.waitForCardWithText(cardText);
    await card.getByRole('checkbox', { name: titleOrLabel }).first().setChecked(on);
  }

  /** Clicks an action button (Action.Execute / Action.Submit / Action.OpenUrl) by title. */
  async clickCardAction(cardText: string, title: string): Promise<void> {
    const card = await this.waitForCardWithText(cardText);
    await card.getByRole('button', { name: title, exact: true }).click();
  }

  /**
   * Sets an Input.Time (rendered as a Fluent UI TimePicker: a combobox whose options are every
   * 30 minutes in 12-hour form, "10:00 AM"); `time` is HH:mm on a half hour (what the bot receives).
   */
  async setCardTime(cardText: string, label: string, time: string): Promise<void> {
    const card = await this.waitForCardWithText(cardText);
    const [h, m] = time.split(':').map(Number) as [number, number];
    const option = `${h % 12 === 0 ? 12 : h % 12}:${String(m).padStart(2, '0')} ${h < 12 ? 'AM' : 'PM'}`;
    await card.getByRole('combobox', { name: label, exact: true }).first().click();
    await this.page.getByRole('option', { name: option, exact: true }).click();
  }

  /**
   * Like fillCardInput, for a card that repeats a label (rows of a form): types into the
   * `index`-th (0-based) Input.Text with exactly that label.
   */
  async fillCardInputAt(cardText: string, label: string, index: number, value: string): Promise<void> {
    const card = await this.waitForCardWithText(cardText);
    await card.getByRole('textbox', { name: label, exact: true }).nth(index).click();
    await this.page.keyboard.press('ControlOrMeta+a');
    await this.page.keyboard.press('Delete');
    if (value) await this.page.keyboard.type(value);
  }

  /** Like selectCardChoice (compact ChoiceSet only), for the `index`-th dropdown with exactly that label. */
  async selectCardChoiceAt(cardText: string, label: string, index: number, choiceTitle: string): Promise<void> {
    const card = await this.waitForCardWithText(cardText);
    await card.getByRole('combobox', { name: label, exact: true }).nth(index).click();
    await this.page.getByRole('option', { name: choiceTitle, exact: true }).click();
  }

  /** Like setCardDate, for the `index`-th Input.Date with exactly that label. */
  async setCardDateAt(cardText: string, label: string, index: number, isoDate: string): Promise<void> {
    const card = await this.waitForCardWithText(cardText);
    const input = card.getByRole('combobox', { name: label, exact: true }).nth(index);
    await input.fill(isoDate);
    await input.press('Escape');
  }

  private composer(): Locator {
    return this.page.locator('[data-lexical-editor="true"]').last();
  }

  private newPostBox(): Locator {
    return this.page
      .getByRole('group')
      .filter({ has: this.page.getByRole('button', { name: 'Post', exact: true }) })
      .first();
  }

  private async typeMention(): Promise<void> {
    // The mention menu filters by what follows "@" (searches after ~500 ms).
    await this.page.keyboard.type(`@${this.botName.slice(0, 12)}`);
    // Item name is "<bot> <bot>" (avatar label + text), hence hasText rather than an exact name.
    await this.page
      .getByRole('listbox', { name: 'Typeahead menu' })
      .getByRole('menuitem')
      .filter({ hasText: this.botName })
      .first()
      .click({ timeout: this.timeoutMs });
    await this.page.keyboard.type(' ');
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
