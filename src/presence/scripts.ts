// The Lua scripts of the Redis store, registered once per client, and what each call sends: the
// keys and arguments are encoded here, in the order each script's Input block lists them, as
// replies.ts parses what comes back. Nothing else builds a script call.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Result } from 'ioredis';
import type { HeartbeatCall } from './heartbeat-batches.js';
import { roomKeys, viewerMember } from './keys.js';
import type { RedisClient } from './redis-client.js';
import { commitPayload } from './replies.js';
import {
  type ActivityEvent,
  defaultActivityMaxKinds,
  type Heartbeat,
  type PresenceRules,
  pageActivityGapMs,
  type RoomReading,
  type ViewerPosition,
} from './store.js';

// Scripts live in src/presence/lua; this path resolves from src/ and from dist/ alike.
const luaDir = fileURLToPath(new URL('../../src/presence/lua/', import.meta.url));
const lua = (file: string) => readFileSync(`${luaDir}${file}`, 'utf8');
/** A script that uses the shared clock, key names, session values and viewer bookkeeping of lib.lua. */
const withLib = (file: string) => `${lua('lib.lua')}\n${lua(file)}`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    hcHeartbeats(
      numberOfKeys: number,
      ...keysAndArgs: (string | number)[]
    ): Result<number[], Context>;
    hcLeave(base: string, session: string, graceMs: number): Result<number[], Context>;
    hcCount(...keys: string[]): Result<number[], Context>;
    hcConcentration(base: string): Result<number[], Context>;
    hcViewers(base: string, position: string, limit: number): Result<(string | number)[], Context>;
    hcActivity(
      numberOfKeys: number,
      ...keysAndArgs: (string | number)[]
    ): Result<number[], Context>;
    hcOnlineViewers(base: string, ...ids: string[]): Result<number[], Context>;
    hcRead(numberOfKeys: number, ...keys: string[]): Result<string, Context>;
    hcReadRoom(...keys: string[]): Result<string, Context>;
    hcCommit(numberOfKeys: number, ...keysAndArgs: string[]): Result<number[], Context>;
    hcCommitRoom(...keysAndArgs: string[]): Result<number[], Context>;
    hcCommitOpen(numberOfKeys: number, ...keysAndArgs: string[]): Result<number, Context>;
    hcCommitOpenRoom(...keysAndArgs: string[]): Result<number, Context>;
    hcUnlock(key: string, token: string): Result<number, Context>;
    hcForget(
      index: string,
      sizes: string,
      ids: string,
      ...roomsAndTimes: (string | number)[]
    ): Result<number, Context>;
    hcRoomSizes(
      sizes: string,
      ids: string,
      ...roomsAndSessions: (string | number)[]
    ): Result<number, Context>;
  }
}

/** Keys per room of the archive scripts (read-rooms.lua, commit-rooms.lua). */
const archiveKeysPerRoom = 10;

export function defineScripts(redis: RedisClient): void {
  // Any number of rooms' heartbeats: the caller passes the number of keys (rooms) first.
  redis.defineCommand('hcHeartbeats', { lua: withLib('heartbeats.lua') });
  redis.defineCommand('hcLeave', { numberOfKeys: 1, lua: withLib('leave-1.lua') });
  redis.defineCommand('hcCount', { numberOfKeys: 4, lua: withLib('count-4.lua') });
  redis.defineCommand('hcConcentration', { numberOfKeys: 1, lua: withLib('concentration-1.lua') });
  // Any number of rooms: the caller passes the number of keys (rooms) first.
  redis.defineCommand('hcActivity', { lua: withLib('activity.lua') });
  redis.defineCommand('hcViewers', { numberOfKeys: 1, lua: withLib('viewers-1.lua') });
  redis.defineCommand('hcOnlineViewers', { numberOfKeys: 1, lua: withLib('online-viewers-1.lua') });
  // Any number of rooms, 10 keys each: the caller passes the number of keys first.
  redis.defineCommand('hcRead', { lua: withLib('read-rooms.lua') });
  redis.defineCommand('hcCommit', { lua: withLib('commit-rooms.lua') });
  // The same scripts for one room, for Cluster: ioredis routes an auto-pipelined command by its
  // first argument, which must then be a key, not the number of keys.
  redis.defineCommand('hcReadRoom', {
    numberOfKeys: archiveKeysPerRoom,
    lua: withLib('read-rooms.lua'),
  });
  redis.defineCommand('hcCommitRoom', {
    numberOfKeys: archiveKeysPerRoom,
    lua: withLib('commit-rooms.lua'),
  });
  redis.defineCommand('hcCommitOpen', { lua: lua('commit-open-rooms.lua') });
  redis.defineCommand('hcCommitOpenRoom', { numberOfKeys: 2, lua: lua('commit-open-rooms.lua') });
  redis.defineCommand('hcUnlock', { numberOfKeys: 1, lua: lua('unlock-1.lua') });
  redis.defineCommand('hcForget', { numberOfKeys: 3, lua: lua('forget-rooms-3.lua') });
  redis.defineCommand('hcRoomSizes', { numberOfKeys: 2, lua: lua('room-sizes-2.lua') });
}

/** heartbeats.lua: one key per room (its key base), then the rules, then per room its heartbeats. */
export function heartbeatsRequest(
  prefix: string,
  rules: PresenceRules,
  call: HeartbeatCall,
): { keys: string[]; args: (string | number)[] } {
  const keys: string[] = [];
  const args: (string | number)[] = [
    rules.visibleTtlMs,
    rules.hiddenTtlMs,
    rules.visibleIntervalMs,
    rules.hiddenIntervalMs,
    rules.largeRoomSessions ?? 0,
    rules.maxSessionsPerAddress ?? 0,
  ];
  const maxViewerSessions = rules.maxSessionsPerViewer ?? 0;
  for (const [room, heartbeats] of call) {
    keys.push(roomKeys(prefix, room).base);
    args.push(heartbeats.length);
    for (const { heartbeat: hb } of heartbeats) {
      args.push(
        hb.session,
        viewerMember(hb.session, hb.viewer),
        hb.entry ?? '',
        // mode: state, stretch, the most sessions the viewer may hold (0: no limit)
        `${hb.state === 'visible' ? 'v' : 'h'}${hb.stretch ?? 1}${hb.limitViewerSessions ? maxViewerSessions : 0}`,
        hb.address ?? '',
        said(hb),
      );
    }
  }
  return { keys, args };
}

/**
 * activity.lua: one key per room (its key base), then the kinds limit, the mode and the page's
 * session ('' for a backend), then per room its events.
 */
export function activityRequest(
  prefix: string,
  rules: PresenceRules,
  byRoom: ReadonlyMap<string, readonly ActivityEvent[]>,
  mode: 'count' | 'check',
  session = '',
): { keys: string[]; args: (string | number)[] } {
  const keys: string[] = [];
  const args: (string | number)[] = [
    rules.activityMaxKinds ?? defaultActivityMaxKinds,
    mode,
    session,
    rules.pageActivityGapMs ?? pageActivityGapMs,
  ];
  for (const [room, events] of byRoom) {
    keys.push(roomKeys(prefix, room).base);
    args.push(events.length);
    for (const e of events) args.push(e.kind, e.n);
  }
  return { keys, args };
}

/** What a heartbeat says of its viewer, as lib.lua keeps it: '+' listed or '-', then the name. */
const said = (hb: Heartbeat) => `${hb.listed === false ? '-' : '+'}${hb.name ?? ''}`;

/** A position in the online list as viewers-1.lua orders it: since (13 digits), '|', the id. */
export const listPosition = (p: ViewerPosition | null) =>
  p === null ? '' : `${String(p.since).padStart(13, '0')}|${p.id}`;

/** count-4.lua */
export function countKeys(prefix: string, room: string): string[] {
  const k = roomKeys(prefix, room);
  return [k.visible, k.hidden, k.viewers, k.live];
}

/** The archive keys of a room, in the order of read-rooms.lua and commit-rooms.lua. */
export function archiveKeys(prefix: string, room: string): string[] {
  const k = roomKeys(prefix, room);
  return [
    k.visible,
    k.hidden,
    k.viewers,
    k.period,
    k.pending,
    k.live,
    k.uniques,
    k.closed,
    k.addresses,
    k.addressOf,
  ];
}

/** commit-open-rooms.lua: two keys per room, then the rooms' reading times. */
export function commitOpenRequest(prefix: string, readings: readonly RoomReading[]): string[] {
  const keysAndArgs: string[] = [];
  for (const r of readings) {
    const k = roomKeys(prefix, r.room);
    keysAndArgs.push(k.period, k.pending);
  }
  for (const r of readings) keysAndArgs.push(String(r.at));
  return keysAndArgs;
}

/** commit-rooms.lua: ten keys per room, then one payload per room. */
export function commitRequest(prefix: string, readings: readonly RoomReading[]): string[] {
  return [...readings.flatMap((r) => archiveKeys(prefix, r.room)), ...readings.map(commitPayload)];
}
