// The archive source on Redis, what the snapshot job uses: the rooms to archive, reading and
// committing them in batches (one room per call on Cluster, where each room is its own slot), and
// the lock that lets one instance archive a period.
import { lockKey, roomIdsKey, roomIndexKey, roomSizesKey } from './keys.js';
import type { RedisClient } from './redis-client.js';
import { parseForgotten, parseReadings } from './replies.js';
import { archiveKeys, commitOpenRequest, commitRequest } from './scripts.js';
import type { ArchiveSource, RoomReading } from './store.js';
import { guard } from './unavailable.js';

/** Rooms per archive script call on a single Redis. */
const archiveBatchSize = 100;

/**
 * A room with sessions online that ended no live period cannot be forgotten: its commit needs two
 * of its keys and one argument, not eight and a JSON text.
 */
const staysOpen = (r: RoomReading) => r.sessions > 0 && r.closed.length === 0;

export class RedisArchiveSource implements ArchiveSource {
  private readonly index: string;
  private readonly sizes: string;
  private readonly ids: string;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly cluster: boolean,
  ) {
    this.index = roomIndexKey(prefix);
    this.sizes = roomSizesKey(prefix);
    this.ids = roomIdsKey(prefix);
  }

  roomsToArchive(): Promise<string[]> {
    return guard(() => this.redis.zrange(this.index, 0, -1));
  }

  /**
   * Rooms in groups that one script call may touch: on a single Redis a batch of many rooms,
   * on Cluster one room (each room is its own slot), sent together by auto-pipelining.
   */
  private batches<T>(items: readonly T[]): T[][] {
    const size = this.cluster ? 1 : archiveBatchSize;
    const batches: T[][] = [];
    for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size));
    return batches;
  }

  readRooms(rooms: readonly string[]): Promise<RoomReading[]> {
    return guard(async () => {
      const batches = this.batches(rooms);
      const replies = await Promise.all(
        batches.map((batch) => {
          const keys = batch.flatMap((room) => archiveKeys(this.prefix, room));
          return this.cluster
            ? this.redis.hcReadRoom(...keys)
            : this.redis.hcRead(keys.length, ...keys);
        }),
      );
      const read = batches.map((batch, i) => parseReadings(batch, replies[i]!));
      // Rooms with nothing to archive leave the index; a heartbeat puts a room back.
      const idle = read.flatMap((b) => b.idle.flatMap(({ room, at }) => [room, at]));
      if (idle.length > 0) await this.redis.hcForget(this.index, this.sizes, this.ids, ...idle);
      return read.flatMap((b) => b.readings);
    });
  }

  commitReadings(readings: readonly RoomReading[]): Promise<void> {
    const open = readings.filter(staysOpen);
    const others = readings.filter((r) => !staysOpen(r));
    return guard(async () => {
      const [, forgotten] = await Promise.all([
        Promise.all(
          this.batches(open).map((batch) => {
            const keysAndArgs = commitOpenRequest(this.prefix, batch);
            return this.cluster
              ? this.redis.hcCommitOpenRoom(...keysAndArgs)
              : this.redis.hcCommitOpen(batch.length * 2, ...keysAndArgs);
          }),
        ),
        Promise.all(
          this.batches(others).map(async (batch) => {
            const keysAndArgs = commitRequest(this.prefix, batch);
            const keys = keysAndArgs.length - batch.length;
            const flags = this.cluster
              ? await this.redis.hcCommitRoom(...keysAndArgs)
              : await this.redis.hcCommit(keys, ...keysAndArgs);
            return parseForgotten(batch, flags);
          }),
        ),
      ]);
      // Only rooms not brought back by a heartbeat since their reading leave the index.
      const forget = forgotten.flat().flatMap((r) => [r.room, r.at]);
      if (forget.length > 0) await this.redis.hcForget(this.index, this.sizes, this.ids, ...forget);
    });
  }

  async tryLock(name: string, ttlMs: number): Promise<string | null> {
    const token = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    const ok = await guard(() =>
      this.redis.set(lockKey(this.prefix, name), token, 'PX', ttlMs, 'NX'),
    );
    return ok === 'OK' ? token : null;
  }

  async unlock(name: string, token: string): Promise<void> {
    await guard(() => this.redis.hcUnlock(lockKey(this.prefix, name), token));
  }
}
