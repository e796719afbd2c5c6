// Runs the webhook delivery worker on this instance when WEBHOOK_URL is set (every instance may:
// each event is delivered by one). Needs the `db` decoration; stopped when the app closes.
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { type DeliveryWorker, startDeliveryWorker } from './delivery.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The delivery worker of this instance; null when webhooks are off. */
    webhooks: DeliveryWorker | null;
  }
}

export interface WebhooksPluginOptions {
  config: Pick<Config, 'webhook'>;
}

export default fp<WebhooksPluginOptions>(
  async (app, { config }) => {
    const webhook = config.webhook;
    if (!webhook) {
      app.decorate('webhooks', null);
      return;
    }
    const worker = startDeliveryWorker({
      ...webhook,
      db: app.db.db,
      log: app.log.child({ job: 'webhooks' }),
      metrics: app.hasDecorator('metrics') ? app.metrics : undefined,
    });
    app.log.info(
      `webhooks: on, to ${new URL(webhook.url).origin}${webhook.thresholds.length > 0 ? ` (thresholds ${webhook.thresholds.join(', ')})` : ''}`,
    );
    app.decorate('webhooks', worker);
    app.addHook('onClose', async () => worker.stop());
  },
  { name: 'webhooks', dependencies: ['db'] },
);
