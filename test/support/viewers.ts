// What a room says, but for the time of the reading: before and after a refused request, to show
// that nothing changed.
import type { FastifyInstance } from 'fastify';

export async function figures(app: FastifyInstance, room: string) {
  const { at: _at, ...count } = (
    await app.inject({ url: `/v1/rooms/${encodeURIComponent(room)}/count` })
  ).json();
  return count;
}
