/* eslint-disable @typescript-eslint/no-unsafe-enum-comparison -- Bot Framework types activity.type as a string and ActivityTypes as its string enum */
// The benchmark's baseline: a bare botbuilder echo bot on express, the smallest bot that
// does what ours does per turn at the transport level (parse, CloudAdapter turn, one
// outbound connector call for a message, an invoke response for a card action).
//
// Run only by test/bench/run.ts, as a child process with an IPC channel. This file also
// holds the child side of the bench protocol (`runBenchChild`), which sg-bot.ts reuses so
// that both bots are driven and measured identically.

import { ActivityTypes, CloudAdapter, ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------------------
// Child side of the bench protocol
// ---------------------------------------------------------------------------

/** Parent to child. Each measure command is answered with a `reply` carrying its id; `shutdown` by exiting. */
export interface BenchCommand {
  type: 'measure-start' | 'measure-stop' | 'shutdown';
  id: number;
}

/** Child to parent. */
export type BenchEvent =
  | { type: 'ready'; port: number; rss: number }
  | { type: 'failed'; error: string }
  | { type: 'reply'; id: number; rss: number; peakRss: number; samples: number; phase?: PhaseFacts };

/** What a bot reports about a measured phase (on `measure-stop`). */
export interface PhaseFacts {
  /** CPU time (user + system) the process used during the phase. */
  cpuMs: number;
  /** How late the event loop ran a 10 ms timer during the phase, in ms. */
  loopDelay: { p50: number; p99: number; max: number };
}

export interface RunningBot {
  server: Server;
  /** Release everything the bot holds (server, pools, connections). */
  close(): Promise<void>;
}

/** How often the child samples its resident set size. */
export const RSS_SAMPLE_MS = 50;
/** How often the child's event-loop delay monitor samples. */
const LOOP_RESOLUTION_MS = 10;

/**
 * Start a bot and serve the bench protocol over IPC: report the port once listening,
 * sample RSS every 50 ms and report the peak over each measured phase (between
 * `measure-start` and `measure-stop`) with the phase's CPU time and event-loop delay, and
 * shut down cleanly on `shutdown` or when the parent goes away.
 */
export async function runBenchChild(name: string, start: () => Promise<RunningBot>): Promise<void> {
  const send = process.send?.bind(process);
  if (!send) {
    console.error(`${name} is a child of the benchmark: run \`npm run bench\`.`);
    process.exit(2);
  }
  const emit = (event: BenchEvent) => send(event);

  // process.memoryUsage.rss() is process.memoryUsage().rss without the heap statistics.
  let peak = process.memoryUsage.rss();
  let samples = 0;
  const sample = () => {
    const rss = process.memoryUsage.rss();
    samples += 1;
    if (rss > peak) peak = rss;
    return rss;
  };
  const sampler = setInterval(sample, RSS_SAMPLE_MS);
  sampler.unref();
  // Event-loop delay and CPU time over each measured phase.
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  loop.enable();
  let cpuAtStart = process.cpuUsage();

  let bot: RunningBot | undefined;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      clearInterval(sampler);
      loop.disable();
      await bot?.close().catch(() => undefined);
    })();
    return closing;
  };
  // The parent died or closed the channel, or Ctrl-C reached the whole process group:
  // close what the bot holds and exit; never outlive the parent.
  const exit = () => void close().finally(() => process.exit(0));
  process.on('disconnect', exit);
  process.on('SIGINT', exit);
  process.on('SIGTERM', exit);

  process.on('message', (raw) => {
    const command = raw as BenchCommand;
    if (command.type === 'measure-start') {
      peak = sample();
      samples = 0;
      loop.reset();
      cpuAtStart = process.cpuUsage();
      emit({ type: 'reply', id: command.id, rss: peak, peakRss: peak, samples });
    } else if (command.type === 'measure-stop') {
      const rss = sample();
      const cpu = process.cpuUsage(cpuAtStart);
      // The histogram holds the timer's whole interval: the delay is what exceeds it.
      const msOf = (ns: number) => Math.max(0, Math.round(ns / 1e3 - LOOP_RESOLUTION_MS * 1e3) / 1e3);
      const phase: PhaseFacts = {
        cpuMs: Math.round((cpu.user + cpu.system) / 1e3),
        loopDelay: { p50: msOf(loop.percentile(50)), p99: msOf(loop.percentile(99)), max: msOf(loop.max) },
      };
      emit({ type: 'reply', id: command.id, rss, peakRss: peak, samples, phase });
    } else if (command.type === 'shutdown') {
      // The parent waits for this process to exit; no reply.
      void close().finally(() => process.exit(0));
    }
  });

  try {
    bot = await start();
    const { port } = bot.server.address() as AddressInfo;
    emit({ type: 'ready', port, rss: sample() });
  } catch (error) {
    emit({ type: 'failed', error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    await close();
    process.exit(1);
  }
}

/** A server's close as a promise; idle keep-alive sockets are closed too. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

// ---------------------------------------------------------------------------
// The echo bot
// ---------------------------------------------------------------------------

/** The small card the echo bot answers a card action with. */
function echoCard(verb: string): Record<string, unknown> {
  return {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: '1.5',
    body: [{ type: 'TextBlock', text: `You pressed ${verb}.`, wrap: true }],
  };
}

async function echoLogic(context: TurnContext): Promise<void> {
  const activity = context.activity;
  if (activity.type === ActivityTypes.Message) {
    await context.sendActivity(activity.text ?? '');
    return;
  }
  if (activity.type === ActivityTypes.Invoke && activity.name === 'adaptiveCard/action') {
    const verb = (activity.value as { action?: { verb?: unknown } } | undefined)?.action?.verb;
    await context.sendActivity({
      type: ActivityTypes.InvokeResponse,
      value: {
        status: 200,
        body: { statusCode: 200, type: 'application/vnd.microsoft.card.adaptive', value: echoCard(String(verb ?? '')) },
      },
    });
  }
}

export async function startEchoBot(port = 0, host = '127.0.0.1'): Promise<RunningBot> {
  // No app id: requests are not authenticated, exactly as our bot runs without credentials.
  const adapter = new CloudAdapter(new ConfigurationBotFrameworkAuthentication({}));
  adapter.onTurnError = async (context, error) => {
    console.error('echo bot turn failed:', error);
    if (context.activity.type === ActivityTypes.Invoke) {
      await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 500 } });
    }
  };

  const app = express();
  app.post('/api/messages', express.json({ limit: 256 * 1024 }), async (req, res) => {
    await adapter.process(req, res, echoLogic);
  });

  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(port, host, () => resolve(listening));
    listening.once('error', reject);
  });
  return { server, close: () => closeServer(server) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runBenchChild('echo-bot', () => startEchoBot());
}
