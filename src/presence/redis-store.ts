// The presence rules on Redis: a TTL key per session, sorted sets per room counted by range, one
// Lua script per operation (scripts.ts), Redis TIME everywhere. Each consumer's part lives in a
// file of its own: counting (redis-counting.ts), the rooms list (redis-rooms-list.ts) and the
// archive source with its lock (redis-archive.ts); this class puts them behind PresenceStore.
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { saltKey } from './keys.js';
import { RedisArchiveSource } from './redis-archive.js';
import type { RedisClient } from './redis-client.js';
import { RedisCounting } from './redis-counting.js';
import { RedisRoomsList } from './redis-rooms-list.js';
import { defineScripts } from './scripts.js';
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
  PresenceStore,
  RoomCount,
  RoomReading,
  RoomsPage,
  RoomsQuery,
  ViewersPage,
  ViewersQuery,
} from './store.js';
import { guard } from './unavailable.js';

const DAY_MS = 86_400_000;

export class RedisPresenceStore implements PresenceStore {
  readonly kind = 'redis';
  private readonly counting: RedisCounting;
  private readonly roomsList: RedisRoomsList;
  private readonly archive: RedisArchiveSource;

  constructor(
    private readonly redis: RedisClient,
    rules: PresenceRules,
    private readonly prefix: string,
    /** A heartbeat is answered (or fails as an outage) within this, however Redis stalls, ms. */
    timeoutMs = 1_000,
  ) {
    defineScripts(redis);
    const cluster = redis instanceof Cluster;
    this.roomsList = new RedisRoomsList(redis, prefix, {
      counts: (rooms) => this.counts(rooms),
      now: () => this.now(),
    });
    this.counting = new RedisCounting(redis, rules, prefix, cluster, timeoutMs, (room, outcome) =>
      this.roomsList.noteSize(room, outcome),
    );
    this.archive = new RedisArchiveSource(redis, prefix, cluster);
  }

  heartbeat(hb: Heartbeat): Promise<HeartbeatOutcome> {
    return this.counting.heartbeat(hb);
  }

  leave(room: string, session: string): Promise<LeaveOutcome> {
    return this.counting.leave(room, session);
  }

  count(room: string): Promise<RoomCount> {
    return this.counting.count(room);
  }

  counts(rooms: readonly string[]): Promise<Map<string, RoomCount>> {
    return this.counting.counts(rooms);
  }

  concentration(rooms: readonly string[]): Promise<Map<string, AddressConcentration>> {
    return this.counting.concentration(rooms);
  }

  recordActivity(events: readonly ActivityEvent[]): Promise<ActivityOutcome> {
    return this.counting.recordActivity(events);
  }

  pageActivity(event: PageActivity): Promise<ActivityOutcome> {
    return this.counting.pageActivity(event);
  }

  viewers(room: string, query: ViewersQuery): Promise<ViewersPage> {
    return this.counting.viewers(room, query);
  }

  onlineViewers(room: string, ids: readonly string[]): Promise<OnlineViewers> {
    return this.counting.onlineViewers(room, ids);
  }

  listRooms(query: RoomsQuery): Promise<RoomsPage> {
    return this.roomsList.listRooms(query);
  }

  roomsToArchive(): Promise<string[]> {
    return this.archive.roomsToArchive();
  }

  readRooms(rooms: readonly string[]): Promise<RoomReading[]> {
    return this.archive.readRooms(rooms);
  }

  commitReadings(readings: readonly RoomReading[]): Promise<void> {
    return this.archive.commitReadings(readings);
  }

  tryLock(name: string, ttlMs: number): Promise<string | null> {
    return this.archive.tryLock(name, ttlMs);
  }

  unlock(name: string, token: string): Promise<void> {
    return this.archive.unlock(name, token);
  }

  now(): Promise<number> {
    return guard(async () => {
      const [s, us] = await this.redis.time();
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    });
  }

  async ping(): Promise<void> {
    await guard(() => this.redis.ping());
  }

  /** Made once by whichever instance asks first (SET NX), read by every other. */
  daySalt(day: string): Promise<string> {
    return guard(async () => {
      const key = saltKey(this.prefix, day);
      const made = randomBytes(32).toString('base64url');
      // Kept through the day after, so an instance a little behind still finds it; then gone.
      await this.redis.set(key, made, 'PX', 3 * DAY_MS, 'NX');
      return (await this.redis.get(key)) ?? made;
    });
  }

  async close(): Promise<void> {
    await this.roomsList.close();
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
