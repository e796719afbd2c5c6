// Preloaded into a service process (node --import) by startServer's `timing` option; see
// request-timing.ts. Requests are seen through Node's http diagnostics channels, so nothing of the
// service changes; the run delay is this (the main) thread's, from /proc/thread-self/schedstat.
import { subscribe } from 'node:diagnostics_channel';
import { openSync, readSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type RequestTiming,
  requestPrefix,
  startPrefix,
  timingHeader,
  waitedPrefix,
} from './request-timing.js';

interface HttpMessage {
  request: IncomingMessage;
  response: ServerResponse;
}

/** Time on a CPU, time waiting for one, timeslices: ns, ns, count. */
const schedstat = (() => {
  try {
    return openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    return null;
  }
})();
const buffer = Buffer.alloc(128);

/** How long this thread has waited for a CPU while it could run, since it started, ms. */
function waitedMs(): number {
  if (schedstat === null) return 0;
  const length = readSync(schedstat, buffer, 0, buffer.length, 0);
  return Number(buffer.toString('latin1', 0, length).split(' ')[1]) / 1e6;
}

const write = (line: string) => process.stdout.write(`${line}\n`);

// Between requests too: a stretch without a CPU shows as a jump between two samples.
setInterval(() => write(`${waitedPrefix}${performance.now()} ${waitedMs()}`), 10).unref();

const started = new WeakMap<ServerResponse, { at: number; waited: number }>();

subscribe('http.server.request.start', (message) => {
  const { request, response } = message as HttpMessage;
  const tag = request.headers[timingHeader];
  if (tag === undefined) return;
  started.set(response, { at: performance.now(), waited: waitedMs() });
  write(`${startPrefix}${tag}`);
});

subscribe('http.server.response.finish', (message) => {
  const { request, response } = message as HttpMessage;
  const start = started.get(response);
  if (start === undefined) return;
  const timing: RequestTiming = {
    tag: String(request.headers[timingHeader]),
    status: response.statusCode,
    startedAt: start.at,
    finishedAt: performance.now(),
    waitedAtStart: start.waited,
    waitedAtFinish: waitedMs(),
  };
  write(`${requestPrefix}${JSON.stringify(timing)}`);
});
