// Every store against the reference model: random sequences of what pages (and misbehaving
// clients) send, with every field chosen at random, and the archive reading and committing in
// between. After each step the store's answer must equal the model's, driven at the store's own
// clock, and the invariants of rule 3 must hold. A failure prints its seed, its path and the
// commands' replayPath; replay it with PROPERTY_SEED=<seed> PROPERTY_PATH=<path>
// PROPERTY_REPLAY_PATH=<replayPath>, and keep it as a regular test in store.contract.test.ts
// (docs/testing.md).
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { PresenceModel } from '../../src/presence/model.js';
import type {
  PresenceRules,
  PresenceStore,
  RoomCount,
  RoomReading,
  SessionState,
  ViewerPosition,
  ViewersQuery,
} from '../../src/presence/store.js';
import { longRuns } from '../support/long-runs.js';
import { openStore, type StoreKind, storeKinds } from '../support/stores.js';

/** Short timings, so that expiry, the leave grace and live periods happen inside a run. */
const rules: PresenceRules = {
  visibleTtlMs: 120,
  hiddenTtlMs: 240,
  leaveGraceMs: 30,
  visibleIntervalMs: 90,
  hiddenIntervalMs: 180,
  maxSessionsPerViewer: 2,
  maxSessionsPerAddress: 2,
  // Small, so that rooms here reach it: a room of 3 or 4 sessions stretches its heartbeats.
  largeRoomSessions: 3,
  // Small too: four kinds of activity are sent, and a period holds three.
  activityMaxKinds: 3,
  pageActivityGapMs: 60,
};

/**
 * Runs per store: the embedded store runs on a clock of its own, the others in real time, so a
 * developer's run takes a fifth of the Redis runs; CI and HEADCOUNT_LONG=1 run them all.
 */
const scale = Number(process.env.PROPERTY_SCALE ?? 1);
const runs: Record<StoreKind, number> = longRuns
  ? { embedded: 500, redis: 50, cluster: 30 }
  : { embedded: 500, redis: 10, cluster: 6 };
const replay =
  process.env.PROPERTY_SEED === undefined
    ? {}
    : { seed: Number(process.env.PROPERTY_SEED), path: process.env.PROPERTY_PATH };
/** fc.commands shrinks on its own: its replayPath says which commands the shrunk case kept. */
const replayPath = process.env.PROPERTY_REPLAY_PATH;

const ROOMS = 2;
const SESSIONS = ['sess-aaaaaaaa', 'sess-bbbbbbbb', 'sess-cccccccc', 'sess-dddddddd'];
const VIEWERS = [undefined, 'ada', 'bob', 'sess-aaaaaaaa'];
const ENTRIES = [undefined, 'home', 'search'];
/** Hashed client addresses, as the route passes them; absent for code that embeds the store. */
const ADDRESSES = [undefined, 'addr-one', 'addr-two', 'addr-two'];
/** What a presence token says of its viewer: a name or none, listed or appearing offline. */
const SAYINGS: Said[] = [
  {},
  {},
  { name: 'Ada' },
  { name: 'Bob <b>|' },
  { listed: false },
  { name: 'Ada', listed: false },
];
/**
 * What each session's token usually says: a page keeps its token for many heartbeats, and two tabs
 * of one viewer with tokens that disagree are where the latest heartbeat must decide.
 */
const USUAL_SAYING: Record<string, Said> = {
  'sess-aaaaaaaa': {},
  'sess-bbbbbbbb': { listed: false },
  'sess-cccccccc': { name: 'Ada' },
  'sess-dddddddd': { name: 'Bob <b>|', listed: false },
};

interface Said {
  name?: string;
  listed?: boolean;
}

interface Real {
  store: PresenceStore;
  /** This run's room ids (rooms are never shared between runs). */
  rooms: string[];
  /** Moves time on: the fake clock of the embedded store, or a real sleep. */
  wait: (ms: number) => Promise<void>;
  /** The readings of the latest read that were not committed yet. */
  uncommitted: RoomReading[];
  /** Those of the read before it, never committed: a write that finishes late. */
  earlier: RoomReading[];
  /** The readings committed last, for a retry of that commit. */
  committed: RoomReading[];
}

interface Model {
  model: PresenceModel;
  uncommitted: RoomReading[];
  earlier: RoomReading[];
  committed: RoomReading[];
}

type Command = fc.AsyncCommand<Model, Real>;

function checkCount(count: RoomCount) {
  expect(count.visible).toBeLessThanOrEqual(count.sessions);
  expect(count.viewers).toBeLessThanOrEqual(count.sessions);
  expect(count.viewers >= 1).toBe(count.sessions >= 1);
  if (count.sessions > 0) expect(count.peak.sessions).toBeGreaterThanOrEqual(count.sessions);
}

class HeartbeatCommand implements Command {
  constructor(
    readonly room: number,
    readonly session: string,
    readonly viewer: string | undefined,
    readonly state: SessionState,
    readonly entry: string | undefined,
    readonly limitViewerSessions: boolean,
    readonly stretch: number,
    readonly address: string | undefined,
    readonly said: Said,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const hb = {
      room: r.rooms[this.room]!,
      session: this.session,
      viewer: this.viewer,
      state: this.state,
      entry: this.entry,
      limitViewerSessions: this.limitViewerSessions,
      stretch: this.stretch,
      address: this.address,
      ...this.said,
    };
    const got = await r.store.heartbeat(hb);
    expect(got).toEqual(m.model.heartbeat(got.at, hb));
    if (got.accepted) {
      expect(got.viewers).toBeGreaterThanOrEqual(1);
      expect(got.viewers).toBeLessThanOrEqual(got.sessions);
    }
  }
  toString = () =>
    `heartbeat(${this.room}, ${this.session}, ${this.viewer}, ${this.state}, ${this.entry}, ${this.limitViewerSessions}, ×${this.stretch}, ${this.address}, ${JSON.stringify(this.said)})`;
}

/**
 * Heartbeats sent at once, as many pages beating in the same instant do: the store may answer them
 * together (the Redis store sends a tick's heartbeats in one script call), and each answer must be
 * the model's with the heartbeats applied one after another, in the order sent, at the store time.
 */
class BurstCommand implements Command {
  constructor(readonly beats: HeartbeatCommand[]) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const sent = this.beats.map((b) => ({
      room: r.rooms[b.room]!,
      session: b.session,
      viewer: b.viewer,
      state: b.state,
      entry: b.entry,
      limitViewerSessions: b.limitViewerSessions,
      stretch: b.stretch,
      address: b.address,
      ...b.said,
    }));
    const got = await Promise.all(sent.map((hb) => r.store.heartbeat(hb)));
    // Calls for different rooms may run at different times (on Cluster, one call per slot): the
    // model takes them in the order of their store times, and in the order sent within one time.
    const order = sent.map((_, i) => i).sort((a, b) => got[a]!.at - got[b]!.at || a - b);
    for (const i of order) {
      expect(got[i]).toEqual(m.model.heartbeat(got[i]!.at, sent[i]!));
      if (got[i]!.accepted) {
        expect(got[i]!.viewers).toBeGreaterThanOrEqual(1);
        expect(got[i]!.viewers).toBeLessThanOrEqual(got[i]!.sessions);
      }
    }
  }
  toString = () => `burst(${this.beats.map(String).join(', ')})`;
}

class LeaveCommand implements Command {
  constructor(
    readonly room: number,
    readonly session: string,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const got = await r.store.leave(r.rooms[this.room]!, this.session);
    expect(got).toEqual(m.model.leave(got.at, r.rooms[this.room]!, this.session));
  }
  toString = () => `leave(${this.room}, ${this.session})`;
}

class CountCommand implements Command {
  constructor(readonly room: number) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const got = await r.store.count(r.rooms[this.room]!);
    checkCount(got);
    expect(got).toEqual(m.model.count(got.at, r.rooms[this.room]!));
  }
  toString = () => `count(${this.room})`;
}

class ConcentrationCommand implements Command {
  check = () => true;
  async run(m: Model, r: Real) {
    const got = await r.store.concentration(r.rooms);
    expect([...got.keys()]).toEqual(r.rooms);
    for (const room of r.rooms) {
      const c = got.get(room)!;
      expect(c.busiestAddress).toBeLessThanOrEqual(c.sessions);
      expect(c).toEqual(m.model.concentration(c.at, room));
    }
  }
  toString = () => 'concentration()';
}

/**
 * The whole online list, a page at a time (the pages are read at different times, each checked
 * against the model at its own), then the green dots of every viewer id a run uses.
 */
class ViewersCommand implements Command {
  constructor(
    readonly room: number,
    readonly limit: number,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const room = r.rooms[this.room]!;
    let after: ViewerPosition | null = null;
    for (let page = 0; page < 10; page++) {
      const query: ViewersQuery = { limit: this.limit, after };
      const got = await r.store.viewers(room, query);
      expect(got.hidden).toBeLessThanOrEqual(got.total);
      expect(got.viewers.length).toBeLessThanOrEqual(Math.min(this.limit, got.total - got.hidden));
      for (const v of got.viewers) {
        expect(v.tabs).toBeGreaterThanOrEqual(1);
        expect(v.since).toBeLessThanOrEqual(got.at);
      }
      expect(got).toEqual(m.model.viewers(got.at, room, query));
      if (got.next === null) break;
      after = got.next;
    }
    const ids = [...VIEWERS.map((v) => v ?? 'nobody'), ...SESSIONS.map((s) => `~${s}`)];
    const online = await r.store.onlineViewers(room, ids);
    expect(online).toEqual(m.model.onlineViewers(online.at, room, ids));
  }
  toString = () => `viewers(${this.room}, ${this.limit})`;
}

const KINDS = ['comment', 'like', 'buy', 'ask'];

/** A site's backend counts events, in one or both rooms at once: all of them, or none. */
class ActivityCommand implements Command {
  constructor(readonly events: { room: number; kind: string; n: number }[]) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const events = this.events.map((e) => ({ room: r.rooms[e.room]!, kind: e.kind, n: e.n }));
    const got = await r.store.recordActivity(events);
    expect(got).toEqual(m.model.recordActivity(got.at, events, got.accepted ? got.roomsAt : {}));
  }
  toString = () => `activity(${this.events.map((e) => `${e.room}:${e.kind}×${e.n}`).join(', ')})`;
}

/** A page sends an event: counted for a session online in the room, one per gap. */
class PageActivityCommand implements Command {
  constructor(
    readonly room: number,
    readonly session: string,
    readonly kind: string,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const event = { room: r.rooms[this.room]!, session: this.session, kind: this.kind, n: 1 };
    const got = await r.store.pageActivity(event);
    expect(got).toEqual(m.model.pageActivity(got.at, event));
  }
  toString = () => `pageActivity(${this.room}, ${this.session}, ${this.kind})`;
}

/** What every reading must say whatever came before it (viewers ≤ sessions at every moment). */
function checkReading(reading: RoomReading) {
  const { at, sessions, viewers, period, live, closed } = reading;
  expect(reading.visible).toBeLessThanOrEqual(sessions);
  expect(viewers).toBeLessThanOrEqual(sessions);
  expect(viewers >= 1).toBe(sessions >= 1);
  expect(reading.busiestAddress).toBeLessThanOrEqual(sessions);
  // Counts only rise on a heartbeat, each seen by the period's peaks, first reached in the period.
  expect(period.peakSessions).toBeGreaterThanOrEqual(sessions);
  expect(period.peakViewers).toBeGreaterThanOrEqual(viewers);
  expect(period.peakViewers).toBeLessThanOrEqual(period.peakSessions);
  for (const peakAt of [period.peakSessionsAt, period.peakViewersAt]) {
    expect(peakAt).toBeGreaterThanOrEqual(period.since);
    expect(peakAt).toBeLessThanOrEqual(at);
  }
  const byEntry = Object.values(period.joinsByEntry);
  expect(byEntry.every((joins) => joins > 0)).toBe(true);
  expect(byEntry.reduce((sum, joins) => sum + joins, 0)).toBeLessThanOrEqual(period.joins);
  // A room is live exactly while it has sessions online.
  expect(live === null).toBe(sessions === 0);
  if (live) expect(live.peakSessions).toBeGreaterThanOrEqual(sessions);
  for (const l of [...closed, ...(live ? [live] : [])]) {
    expect(l.peakViewers).toBeLessThanOrEqual(l.peakSessions);
    expect(l.peakSessions).toBeLessThanOrEqual(l.joins);
    expect(l.uniqueViewers).toBeGreaterThanOrEqual(l.peakViewers);
    expect(l.peakSessionsAt).toBeGreaterThanOrEqual(l.start);
    expect(l.peakViewersAt).toBeGreaterThanOrEqual(l.start);
  }
  // Ended live periods, oldest first, each over before the next began and before the reading.
  closed.forEach((l, i) => {
    expect(l.end).toBeGreaterThanOrEqual(l.peakSessionsAt);
    expect(l.end).toBeLessThan(closed[i + 1]?.start ?? live?.start ?? at);
  });
}

class ReadCommand implements Command {
  check = () => true;
  async run(m: Model, r: Real) {
    const got = await r.store.readRooms(r.rooms);
    const byRoom = new Map(got.map((reading) => [reading.room, reading]));
    const expected = r.rooms.flatMap((room) => {
      // A room the store left out has no reading at any time; the model must agree.
      const reading = m.model.read(byRoom.get(room)?.at ?? 0, room);
      return reading ? [reading] : [];
    });
    for (const reading of got) checkReading(reading);
    expect(got).toEqual(expected);
    r.earlier = r.uncommitted;
    m.earlier = m.uncommitted;
    r.uncommitted = got;
    m.uncommitted = expected;
  }
  toString = () => 'read()';
}

/**
 * The archive's write of these readings finished: the store and the model forget what they held,
 * and must then agree on the rooms left to archive.
 */
async function commitBoth(m: Model, r: Real, which: 'uncommitted' | 'earlier' | 'committed') {
  await r.store.commitReadings(r[which]);
  for (const reading of m[which]) m.model.commit(reading);
  r.committed = r[which];
  m.committed = m[which];
  if (which !== 'committed') {
    r[which] = [];
    m[which] = [];
  }
  await checkRoomsToArchive(m, r);
}

async function checkRoomsToArchive(m: Model, r: Real) {
  const archived = new Set(await r.store.roomsToArchive());
  const modelRooms = new Set(m.model.roomsToArchive());
  expect(r.rooms.filter((room) => archived.has(room))).toEqual(
    r.rooms.filter((room) => modelRooms.has(room)),
  );
}

class CommitCommand implements Command {
  check = (m: Readonly<Model>) => m.uncommitted.length > 0;
  run = (m: Model, r: Real) => commitBoth(m, r, 'uncommitted');
  toString = () => 'commit()';
}

/** The write of the read before the latest finishes now, after the latest read was taken. */
class LateCommitCommand implements Command {
  check = (m: Readonly<Model>) => m.earlier.length > 0;
  run = (m: Model, r: Real) => commitBoth(m, r, 'earlier');
  toString = () => 'lateCommit()';
}

/** The commit's answer was lost and the archive commits the same readings again. */
class RetryCommitCommand implements Command {
  check = (m: Readonly<Model>) => m.committed.length > 0;
  run = (m: Model, r: Real) => commitBoth(m, r, 'committed');
  toString = () => 'retryCommit()';
}

/**
 * The write of the latest readings failed: they are never committed, and the next reading must
 * cover their time as well (nothing is lost).
 */
class FailedWriteCommand implements Command {
  check = (m: Readonly<Model>) => m.uncommitted.length > 0;
  async run(m: Model, r: Real) {
    m.uncommitted = [];
    r.uncommitted = [];
    await checkRoomsToArchive(m, r);
  }
  toString = () => 'failedWrite()';
}

class WaitCommand implements Command {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(_m: Model, r: Real) {
    await r.wait(this.ms);
  }
  toString = () => `wait(${this.ms})`;
}

const room = fc.integer({ min: 0, max: ROOMS - 1 });
const session = fc.constantFrom(...SESSIONS);
const waits = fc.oneof(
  fc.integer({ min: 0, max: 3 }),
  fc.constantFrom(
    rules.leaveGraceMs,
    rules.visibleIntervalMs / 3,
    rules.visibleTtlMs,
    rules.visibleTtlMs + 1,
    rules.hiddenTtlMs,
  ),
  fc.integer({ min: 0, max: rules.hiddenTtlMs + 30 }),
);

const heartbeats = fc
  .tuple(
    room,
    session,
    fc.constantFrom(...VIEWERS),
    fc.constantFrom<SessionState>('visible', 'hidden'),
    fc.constantFrom(...ENTRIES),
    fc.boolean(),
    // Mostly the configured timings; now and then stretched, as under load.
    fc.oneof(
      { weight: 4, arbitrary: fc.constant(1) },
      { weight: 1, arbitrary: fc.constantFrom(2, 3) },
    ),
    fc.constantFrom(...ADDRESSES),
    fc.oneof(
      { weight: 3, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom(...SAYINGS) },
    ),
  )
  .map(
    ([ro, s, v, st, e, limit, k, a, said]) =>
      new HeartbeatCommand(ro, s, v, st, e, limit, k, a, said ?? USUAL_SAYING[s]!),
  );

const commands = [
  heartbeats,
  heartbeats,
  fc.array(heartbeats, { minLength: 2, maxLength: 6 }).map((beats) => new BurstCommand(beats)),
  fc.tuple(room, session).map(([ro, s]) => new LeaveCommand(ro, s)),
  room.map((ro) => new CountCommand(ro)),
  fc.constant(new ConcentrationCommand()),
  fc
    .tuple(room, fc.integer({ min: 1, max: 3 }))
    .map(([ro, limit]) => new ViewersCommand(ro, limit)),
  fc
    .array(
      fc.record({
        room,
        kind: fc.constantFrom(...KINDS),
        n: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 1000 })),
      }),
      { minLength: 1, maxLength: 4 },
    )
    .map((events) => new ActivityCommand(events)),
  fc
    .tuple(room, session, fc.constantFrom(...KINDS))
    .map(([ro, s, k]) => new PageActivityCommand(ro, s, k)),
  fc.constant(new ReadCommand()),
  fc.constant(new CommitCommand()),
  fc.constant(new LateCommitCommand()),
  fc.constant(new RetryCommitCommand()),
  fc.constant(new FailedWriteCommand()),
  waits.map((ms) => new WaitCommand(ms)),
];

let runNumber = 0;

for (const kind of storeKinds) {
  let clockMs = 1_800_000_000_000;
  const opened = await openStore(kind, rules, () => clockMs);

  describe.skipIf(!opened)(`presence store against the reference model: ${kind}`, () => {
    afterAll(() => opened?.cleanup());

    it('answers every random sequence of requests exactly as the model does', async () => {
      const store = opened!.store;
      const wait =
        kind === 'embedded'
          ? async (ms: number) => {
              clockMs += ms;
            }
          : (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
      await fc.assert(
        fc.asyncProperty(
          fc.commands(commands, { maxCommands: 60, size: 'max', replayPath }),
          async (cmds) => {
            runNumber += 1;
            const rooms = Array.from({ length: ROOMS }, (_, i) => `prop-${runNumber}-${i}`);
            await fc.asyncModelRun(
              () => ({
                model: {
                  model: new PresenceModel(rules),
                  uncommitted: [],
                  earlier: [],
                  committed: [],
                },
                real: { store, rooms, wait, uncommitted: [], earlier: [], committed: [] },
              }),
              cmds,
            );
          },
        ),
        { numRuns: Math.max(1, Math.round(runs[kind] * scale)), ...replay },
      );
    }, 600_000);
  });
}
