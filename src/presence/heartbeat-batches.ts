// The heartbeats that reach one instance within an event-loop tick go to Redis together: one call
// of heartbeats.lua per batch (per hash slot on Cluster), grouped by room, so that Redis's cost per
// call, the reply and each room's counting are paid once per batch and room, not per heartbeat. A
// batch leaves as soon as it is full, so that Redis works on it while the instance reads the rest
// of the tick's requests, instead of the two taking turns.
import calculateSlot from 'cluster-key-slot';
import type { Heartbeat, HeartbeatOutcome } from './store.js';

export interface QueuedHeartbeat {
  heartbeat: Heartbeat;
  resolve(outcome: HeartbeatOutcome): void;
  reject(err: unknown): void;
}

/** The heartbeats of one script call, by room, in the order they came. */
export type HeartbeatCall = Map<string, QueuedHeartbeat[]>;

/** At most this many heartbeats per script call, so that no call holds Redis for long. */
export const heartbeatsPerCall = 100;

/**
 * A batch is sent once it holds this many heartbeats, before the tick ends. Measured on two cores
 * with 64 connections of joins: flushing at 16 answered 15-45 % more heartbeats a second than
 * flushing only at the end of the tick (8 and 32: less).
 */
export const heartbeatsPerFlush = 16;

/** Collects heartbeats until the batch is full or the event loop turns, then hands them over. */
export class TickQueue {
  private queued: QueuedHeartbeat[] = [];

  constructor(private readonly send: (queued: QueuedHeartbeat[]) => void) {}

  add(heartbeat: Heartbeat): Promise<HeartbeatOutcome> {
    return new Promise((resolve, reject) => {
      const size = this.queued.push({ heartbeat, resolve, reject });
      // setImmediate runs after the I/O callbacks of this turn: every request read in it is here.
      if (size === 1) setImmediate(this.flush);
      if (size === heartbeatsPerFlush) this.flush();
    });
  }

  private readonly flush = () => {
    // The batch may have left full already; the end of the tick then finds nothing to send.
    if (this.queued.length === 0) return;
    const queued = this.queued;
    this.queued = [];
    this.send(queued);
  };
}

/**
 * Splits a tick's heartbeats into script calls: grouped by room, rooms of one hash slot together
 * on Cluster (a script touches one slot), at most heartbeatsPerCall heartbeats per call.
 */
export function heartbeatCalls(
  queued: readonly QueuedHeartbeat[],
  slotOf: ((room: string) => number) | null,
): HeartbeatCall[] {
  const bySlot = new Map<number, HeartbeatCall>();
  for (const q of queued) {
    const slot = slotOf === null ? 0 : slotOf(q.heartbeat.room);
    let call = bySlot.get(slot);
    if (call === undefined) {
      call = new Map();
      bySlot.set(slot, call);
    }
    const room = call.get(q.heartbeat.room);
    if (room === undefined) call.set(q.heartbeat.room, [q]);
    else room.push(q);
  }
  const calls: HeartbeatCall[] = [];
  for (const call of bySlot.values()) calls.push(...split(call));
  return calls;
}

function split(call: HeartbeatCall): HeartbeatCall[] {
  const calls: HeartbeatCall[] = [];
  let current: HeartbeatCall = new Map();
  let size = 0;
  for (const [room, heartbeats] of call) {
    for (let i = 0; i < heartbeats.length; ) {
      if (size === heartbeatsPerCall) {
        calls.push(current);
        current = new Map();
        size = 0;
      }
      const part = heartbeats.slice(i, i + heartbeatsPerCall - size);
      current.set(room, part);
      size += part.length;
      i += part.length;
    }
  }
  if (size > 0) calls.push(current);
  return calls;
}

/** The hash slot of a room's keys on Redis Cluster (they share the tag {room}). */
export const roomSlot = (room: string) => calculateSlot(`{${room}}`);
