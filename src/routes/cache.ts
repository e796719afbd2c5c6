// Conditional GET for public reads: a weak ETag from what the reading says (not from its
// timestamp), cache headers for browsers and CDNs, and 304 when the client already has it.
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

/** Response headers, by lower-case name. */
export type CacheHeaders = Readonly<Record<string, string>>;

/**
 * The cache headers of a public read that any cache may keep for maxAgeS, and then answer stale
 * for as long again while it asks for a fresh one. CDN-Cache-Control (RFC 9213: Cloudflare,
 * Akamai) and Surrogate-Control (Fastly, Varnish) say the same to CDNs in the header they obey
 * first, so that a site's proxy rewriting Cache-Control for browsers does not change what its
 * CDN keeps. stale-if-error lets a CDN keep showing the number while the service is down.
 */
export function publicCacheControl(maxAgeS: number): CacheHeaders {
  const cdn = `max-age=${maxAgeS}, stale-while-revalidate=${maxAgeS}, stale-if-error=60`;
  return {
    'cache-control': `public, ${cdn}`,
    'cdn-cache-control': `public, ${cdn}`,
    'surrogate-control': cdn,
  };
}

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
  headers: CacheHeaders,
): boolean {
  reply.headers(headers).header('etag', etag);
  const match = request.headers['if-none-match'];
  if (match?.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
    reply.code(304).send();
    return true;
  }
  return false;
}
