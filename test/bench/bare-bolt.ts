// The Slack acknowledgement benchmark's baseline: a bare @slack/bolt App with Bolt's own
// ExpressReceiver (signature check, body parsing, ack over HTTP), the same signing secret
// and the same single-workspace `authorize` as our bot, a /supervision command listener and
// an every-action listener that only acknowledge. Its Web API base is the bench's stub, as
// for our bot, though it never calls it.
//
// Run only by test/bench/run.ts (slack-bench.ts), as a child process with an IPC channel,
// speaking the bench protocol of echo-bot.ts. Configuration from the environment:
// SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN, SLACK_API_URL.

import { App, ExpressReceiver } from '@slack/bolt';
import type { Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import { closeServer, runBenchChild, type RunningBot } from './echo-bot.js';

export async function startBareBolt(options: { signingSecret: string; botToken: string; apiUrl?: string; port?: number; host?: string }): Promise<RunningBot> {
  const { signingSecret, botToken } = options;
  const receiver = new ExpressReceiver({ signingSecret });
  const app = new App({
    receiver,
    authorize: async () => ({ botToken }),
    ...(options.apiUrl ? { clientOptions: { slackApiUrl: options.apiUrl } } : {}),
  });
  app.command('/supervision', async ({ ack }) => {
    await ack();
  });
  app.action(/.*/, async ({ ack }) => {
    await ack();
  });
  app.error(async (error) => {
    console.error('bare bolt: listener failed:', error);
  });
  const server: Server = await receiver.start({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
  return { server, close: () => closeServer(server) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runBenchChild('bare-bolt', async () => {
    const signingSecret = process.env.SLACK_SIGNING_SECRET;
    const botToken = process.env.SLACK_BOT_TOKEN;
    if (!signingSecret || !botToken) throw new Error('SLACK_SIGNING_SECRET and SLACK_BOT_TOKEN must be set: the bench runner passes them');
    return startBareBolt({ signingSecret, botToken, ...(process.env.SLACK_API_URL ? { apiUrl: process.env.SLACK_API_URL } : {}) });
  });
}
