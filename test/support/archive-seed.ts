// Seeds the archive the way production fills it: heartbeats into an embedded presence store whose
// clock the test moves, and the real snapshot job (runSnapshot) at the end of every minute,
// writing through the real writer. Nothing is inserted behind the job's back.
import { runSnapshot } from '../../src/archive/snapshot.js';
import type { Database } from '../../src/db/client.js';
import { MemoryPresenceStore } from '../../src/presence/memory-store.js';
import { testConfig } from './stores.js';

const minuteMs = 60_000;
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

/** Where the k-th session of a room came from: half by newsletter, a third social, the rest direct. */
export const entryOf = (k: number) => (k % 6 < 3 ? 'newsletter' : k % 6 < 5 ? 'social' : 'direct');

export interface ArchivedMinutes {
  /** Snapshot runs that wrote at least one row. */
  runs: number;
  /** Epoch ms of the first and of the last snapshot run. */
  firstRunMs: number;
  lastRunMs: number;
}

/**
 * Archives `sessions.length` minutes of a room from startMs (a whole minute): in minute i the
 * sessions 0..sessions[i]-1 each send a heartbeat at :10 and at :40 (the k-th as viewer k/2, so two
 * sessions a viewer, with entryOf(k)); null means nobody, so the room empties. The snapshot job runs
 * at the end of every minute, and (unless close is false) once more a minute after the last, which
 * archives the room emptying and closes its live period.
 */
export async function archiveMinutes(
  database: Database,
  room: string,
  startMs: number,
  sessions: readonly (number | null)[],
  { close = true }: { close?: boolean } = {},
): Promise<ArchivedMinutes> {
  let nowMs = startMs;
  const store = new MemoryPresenceStore(testConfig().rules, () => nowMs);
  let runs = 0;
  const run = async () => {
    const result = await runSnapshot({ store, db: database.db, log: quiet });
    if (result.status !== 'ok') throw new Error(`snapshot run failed: ${result.error}`);
    if (result.written > 0) runs++;
  };
  for (const [i, n] of sessions.entries()) {
    // Two heartbeats a minute, 30 s apart: well inside the 45 s a visible session stays online.
    for (const atS of [10, 40]) {
      nowMs = startMs + i * minuteMs + atS * 1000;
      for (let k = 0; k < (n ?? 0); k++) {
        const outcome = await store.heartbeat({
          room,
          session: `seed-session-${k}`,
          viewer: `seed-viewer-${Math.floor(k / 2)}`,
          state: 'visible',
          entry: entryOf(k),
        });
        if (!outcome.accepted) throw new Error('a seeded heartbeat was refused');
      }
    }
    nowMs = startMs + (i + 1) * minuteMs;
    await run();
  }
  if (close) {
    nowMs = startMs + (sessions.length + 1) * minuteMs;
    await run();
  }
  await store.close();
  return { runs, firstRunMs: startMs + minuteMs, lastRunMs: nowMs };
}
