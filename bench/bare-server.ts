// The ceiling: a bare Fastify route that parses the same JSON body (also as text/plain) and
// answers a response of the same size, with no store behind it.
import Fastify from 'fastify';

const app = Fastify({ bodyLimit: 2048 });
app.addContentTypeParser(
  'text/plain',
  { parseAs: 'string' },
  app.getDefaultJsonParser('error', 'error'),
);
app.post('/v1/heartbeat', async (request) => {
  const { room, session } = request.body as { room: string; session: string };
  return { room, session, sessions: 1, viewers: 1, interval: 15, ttl: 45, counted: true };
});
app.get('/v1/rooms/:room/count', async (request) => ({
  room: (request.params as { room: string }).room,
  sessions: 1,
  viewers: 1,
  visible: 1,
  peak: { sessions: 1, viewers: 1, at: new Date().toISOString() },
  at: new Date().toISOString(),
}));
await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 18181) });
