// The naive peer: what a presence counter looks like when it does the least that could work. A
// heartbeat is SET session EX ttl and SADD room session in one MULTI; a count walks the room's
// members and checks each session key. No rules beyond that: no viewers, no peaks, no joins, no
// rate limits, no time from the store. Same body parsing and answer shape as the bare route.
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const prefix = process.env.NAIVE_PREFIX ?? 'naive';
const ttlS = Number(process.env.NAIVE_TTL_S ?? 3600);

const app = Fastify({ bodyLimit: 2048 });
app.addContentTypeParser(
  'text/plain',
  { parseAs: 'string' },
  app.getDefaultJsonParser('error', 'error'),
);
app.post('/v1/heartbeat', async (request) => {
  const { room, session, viewer } = request.body as {
    room: string;
    session: string;
    viewer?: string;
  };
  await redis
    .multi()
    .set(`${prefix}:s:${session}`, viewer ?? session, 'EX', ttlS)
    .sadd(`${prefix}:r:${room}`, session)
    .exec();
  return { room, session, sessions: 1, viewers: 1, interval: 15, ttl: ttlS, counted: true };
});
app.get('/v1/rooms/:room/count', async (request) => {
  const { room } = request.params as { room: string };
  const members = await redis.smembers(`${prefix}:r:${room}`);
  const values = members.length > 0 ? await redis.mget(members.map((s) => `${prefix}:s:${s}`)) : [];
  const sessions = values.filter((v) => v !== null).length;
  const viewers = new Set(values.filter((v) => v !== null)).size;
  const at = new Date().toISOString();
  return { room, sessions, viewers, visible: sessions, peak: { sessions, viewers, at }, at };
});
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 18182) });
