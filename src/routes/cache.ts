// Conditional GET for public reads: a weak ETag from what the reading says (not from its
// timestamp), Cache-Control for shared caches, and 304 when the client already has it.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RoomCount } from '../presence/store.js';

const tagOf = ({ at: _readAt, ...counts }: RoomCount) =>
  `W/"${Object.values(counts)
    .flatMap((v) => (typeof v === 'object' && v !== null ? Object.values(v) : [v]))
    .join('.')}"`;

/** Tags made already: a cached count is one object answered many times, tagged once. */
const tags = new WeakMap<RoomCount, string>();

/** Every field of the count but the time of its reading, so that 304 really happens. */
export function countTag(count: RoomCount): string {
  let tag = tags.get(count);
  if (tag === undefined) {
    tag = tagOf(count);
    tags.set(count, tag);
  }
  return tag;
}

/** The Cache-Control of a public read that shared caches may keep for maxAgeS. */
export const publicCacheControl = (maxAgeS: number) => `public, max-age=${maxAgeS}`;

/**
 * Sends an answer serialised already (once per reading, not once per request). A string with
 * Fastify's own JSON content type is sent as it is, with no serializer run on it.
 */
export function sendJson(reply: FastifyReply, json: string): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(json);
}

/** Sets the cache headers; true when a 304 was sent and the handler has nothing more to do. */
export function notModified(
  request: FastifyRequest,
  reply: FastifyReply,
  etag: string,
  cacheControl: string,
): boolean {
  reply.header('etag', etag).header('cache-control', cacheControl);
  const match = request.headers['if-none-match'];
  if (match?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    reply.code(304).send();
    return true;
  }
  return false;
}
