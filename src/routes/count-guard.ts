// Which requests the per-address limiter may let through without its bookkeeping: counts that
// this instance answers from its count cache. Such an answer costs the store nothing (the cache
// and its single flight read each room at most once per COUNT_CACHE_MS per instance, however many
// ask), so the limiter, which is there to keep floods from the store, has nothing to protect;
// what a flood of them costs this instance's CPU is bounded by the load shedder (503 overloaded).
// A count that would read the store (a miss) goes through the limiter as before.
import type { FastifyRequest } from 'fastify';

/** The most rooms /v1/counts answers in one call. */
export const maxCountedRooms = 100;

const oneRoomRoutes = new Set(['/v1/rooms/:room/count', '/v1/rooms/:room/badge.svg']);

/** True when every room the request counts has a fresh answer in this instance's cache. */
export function answeredFromCache(
  request: FastifyRequest,
  isCached: (room: string) => boolean,
): boolean {
  if (request.method !== 'GET') return false;
  const route = request.routeOptions.url;
  if (route !== undefined && oneRoomRoutes.has(route)) {
    return isCached((request.params as { room: string }).room);
  }
  if (route === '/v1/counts') {
    const rooms = (request.query as { rooms?: unknown }).rooms;
    if (typeof rooms !== 'string') return false;
    const list = rooms.split(',');
    return list.length <= maxCountedRooms && list.every(isCached);
  }
  return false;
}
