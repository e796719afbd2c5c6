// The outbox as the admin reads it: events newest first, narrowed by status and room, a page at a
// time (before: an event's seq). The query lives with the webhooks; the route only answers.
import { and, desc, eq, lt, type SQL } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { type WebhookEvent, webhookEvents } from '../db/schema/index.js';

export interface DeliveriesQuery {
  status?: 'pending' | 'delivered' | 'dead' | undefined;
  room?: string | undefined;
  limit: number;
  /** Only events older than this seq (the next page). */
  before?: number | undefined;
}

export function readDeliveries(db: Db, query: DeliveriesQuery): Promise<WebhookEvent[]> {
  const filters: SQL[] = [];
  if (query.status) filters.push(eq(webhookEvents.status, query.status));
  if (query.room) filters.push(eq(webhookEvents.room, query.room));
  if (query.before) filters.push(lt(webhookEvents.seq, query.before));
  return db
    .select()
    .from(webhookEvents)
    .where(and(...filters))
    .orderBy(desc(webhookEvents.seq))
    .limit(query.limit);
}
