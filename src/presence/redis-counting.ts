// Counting on Redis, what the routes use: heartbeats (a tick's heartbeats in one script call per
// hash slot), leaves and counts. The heartbeat path, route to script, is route → heartbeat() →
// TickQueue → recordHeartbeats() → heartbeats.lua → parseHeartbeats().

import { withTimeout } from '../timeout.js';
import {
  type HeartbeatCall,
  heartbeatCalls,
  type QueuedHeartbeat,
  roomSlot,
  TickQueue,
} from './heartbeat-batches.js';
import { roomIndexKey, roomKeys } from './keys.js';
import type { RedisClient } from './redis-client.js';
import {
  parseActivity,
  parseConcentration,
  parseCount,
  parseHeartbeats,
  parseLeave,
  parseOnlineViewers,
  parseViewers,
} from './replies.js';
import { activityRequest, countKeys, heartbeatsRequest, listPosition } from './scripts.js';
import type {
  ActivityEvent,
  ActivityOutcome,
  AddressConcentration,
  Heartbeat,
  HeartbeatOutcome,
  LeaveOutcome,
  OnlineViewers,
  PageActivity,
  PresenceRules,
  RoomCount,
  ViewersPage,
  ViewersQuery,
} from './store.js';
import { guard } from './unavailable.js';

export class RedisCounting {
  private readonly ticks = new TickQueue((queued) => this.sendHeartbeats(queued));
  private readonly index: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly rules: PresenceRules,
    private readonly prefix: string,
    private readonly cluster: boolean,
    /** The whole call (script, then the room index) answers within this, ms. */
    private readonly timeoutMs: number,
    /** Told every heartbeat's outcome (the rooms list keeps the room sizes it sees). */
    private readonly onOutcome: (room: string, outcome: HeartbeatOutcome) => void,
  ) {
    this.index = roomIndexKey(prefix);
  }

  /** Queued for the end of this event-loop tick, and sent with the others of the tick. */
  heartbeat(hb: Heartbeat): Promise<HeartbeatOutcome> {
    return this.ticks.add(hb);
  }

  private sendHeartbeats(queued: QueuedHeartbeat[]) {
    for (const call of heartbeatCalls(queued, this.cluster ? roomSlot : null)) {
      void this.recordHeartbeats(call);
    }
  }

  /** One script call for the heartbeats of a call; every one of them is answered or rejected. */
  private async recordHeartbeats(call: HeartbeatCall): Promise<void> {
    const { keys, args } = heartbeatsRequest(this.prefix, this.rules, call);
    const queued = [...call.values()].flat();
    try {
      // One deadline for the call: each command's own timeout starts only once it is written, and
      // the room index's ZADD may wait its turn behind other auto-pipelined commands.
      const results = await guard(() =>
        withTimeout(this.record(keys, args, queued), this.timeoutMs, 'the presence store'),
      );
      results.forEach(({ outcome }, i) => {
        this.onOutcome(queued[i]!.heartbeat.room, outcome);
        queued[i]!.resolve(outcome);
      });
    } catch (err) {
      for (const q of queued) q.reject(err);
    }
  }

  /** The script call, then the room index for rooms whose accumulators it began. */
  private async record(keys: string[], args: (string | number)[], queued: QueuedHeartbeat[]) {
    const results = parseHeartbeats(
      await this.redis.hcHeartbeats(keys.length, ...keys, ...args),
      queued.length,
    );
    // Once per room (again after the archive forgot it): the room index is a key of its own
    // slot on Cluster, so it cannot live inside the rooms' script.
    const created = results.flatMap(({ created, outcome }, i) =>
      created ? [outcome.at, queued[i]!.heartbeat.room] : [],
    );
    if (created.length > 0) await this.redis.zadd(this.index, ...created);
    return results;
  }

  leave(room: string, session: string): Promise<LeaveOutcome> {
    const { base } = roomKeys(this.prefix, room);
    return guard(async () =>
      parseLeave(await this.redis.hcLeave(base, session, this.rules.leaveGraceMs)),
    );
  }

  count(room: string): Promise<RoomCount> {
    return guard(async () => parseCount(await this.redis.hcCount(...countKeys(this.prefix, room))));
  }

  /**
   * A backend's events: one call per room slot (one call on a single Redis). Spread over several
   * Cluster slots, every slot checks its rooms' kinds first, so that a refusal counts nothing.
   */
  async recordActivity(events: readonly ActivityEvent[]): Promise<ActivityOutcome> {
    const calls = new Map<number, Map<string, ActivityEvent[]>>();
    for (const e of events) {
      const slot = this.cluster ? roomSlot(e.room) : 0;
      const byRoom = calls.get(slot) ?? new Map<string, ActivityEvent[]>();
      calls.set(slot, byRoom);
      byRoom.set(e.room, [...(byRoom.get(e.room) ?? []), e]);
    }
    if (calls.size > 1) {
      const checks = await Promise.all([...calls.values()].map((c) => this.activity(c, 'check')));
      const refused = checks.find((c) => !c.accepted);
      if (refused) return refused;
    }
    const counted = await Promise.all([...calls.values()].map((c) => this.activity(c, 'count')));
    const refused = counted.find((c) => !c.accepted);
    if (refused) return refused;
    const roomsAt = Object.assign({}, ...counted.map((c) => (c.accepted ? c.roomsAt : {})));
    return { accepted: true, at: Math.max(...counted.map((c) => c.at)), roomsAt };
  }

  pageActivity(event: PageActivity): Promise<ActivityOutcome> {
    return this.activity(new Map([[event.room, [event]]]), 'count', event.session);
  }

  /** One call of activity.lua, then the room index for rooms whose accumulators it began. */
  private activity(
    byRoom: ReadonlyMap<string, readonly ActivityEvent[]>,
    mode: 'count' | 'check',
    session?: string,
  ): Promise<ActivityOutcome> {
    const { keys, args } = activityRequest(this.prefix, this.rules, byRoom, mode, session);
    return guard(() =>
      withTimeout(
        (async () => {
          const reply = await this.redis.hcActivity(keys.length, ...keys, ...args);
          const { outcome, created } = parseActivity(reply, [...byRoom.keys()]);
          const index = created.flatMap((room) => [outcome.at, room]);
          if (index.length > 0) await this.redis.zadd(this.index, ...index);
          return outcome;
        })(),
        this.timeoutMs,
        'the presence store',
      ),
    );
  }

  viewers(room: string, { limit, after }: ViewersQuery): Promise<ViewersPage> {
    const { base } = roomKeys(this.prefix, room);
    return guard(async () =>
      parseViewers(await this.redis.hcViewers(base, listPosition(after), limit)),
    );
  }

  onlineViewers(room: string, ids: readonly string[]): Promise<OnlineViewers> {
    const unique = [...new Set(ids)];
    const { base } = roomKeys(this.prefix, room);
    return guard(async () =>
      parseOnlineViewers(await this.redis.hcOnlineViewers(base, ...unique), unique),
    );
  }

  /** One call per room (the dashboard's page of rooms), in parallel. */
  async concentration(rooms: readonly string[]): Promise<Map<string, AddressConcentration>> {
    const read = (room: string) =>
      guard(async () =>
        parseConcentration(await this.redis.hcConcentration(roomKeys(this.prefix, room).base)),
      );
    const concentration = await Promise.all(rooms.map(read));
    return new Map(rooms.map((room, i) => [room, concentration[i]!]));
  }

  async counts(rooms: readonly string[]): Promise<Map<string, RoomCount>> {
    const counts = await Promise.all(rooms.map((room) => this.count(room)));
    return new Map(rooms.map((room, i) => [room, counts[i]!]));
  }
}
