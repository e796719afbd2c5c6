// Schedules the snapshot job on this instance (app.snapshot), stopped when the app closes.
// Needs the `store` and `db` decorations.
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics/metrics.js';
import { startRetentionJob } from './retention.js';
import { type SnapshotJob, type SnapshotRun, startSnapshotJob } from './snapshot.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The snapshot job of this instance; null when SNAPSHOT_ENABLED=false. */
    snapshot: SnapshotJob | null;
  }
}

export interface SnapshotPluginOptions {
  config: Pick<Config, 'snapshot' | 'webhook' | 'retention' | 'concentration'>;
}

export default fp<SnapshotPluginOptions>(
  async (app, { config }) => {
    if (!config.snapshot.enabled) {
      app.log.info('snapshot job and retention: disabled (SNAPSHOT_ENABLED=false)');
      app.decorate('snapshot', null);
      return;
    }
    const job = startSnapshotJob({
      store: app.archiveSource,
      db: app.db.db,
      log: app.log.child({ job: 'snapshot' }),
      cron: config.snapshot.cron,
      events: config.webhook
        ? {
            thresholds: config.webhook.thresholds,
            hysteresis: config.webhook.hysteresis,
            concentration: config.webhook.concentration,
          }
        : undefined,
      concentration: config.concentration,
      ...(app.hasDecorator('metrics') ? { onRun: recordRun(app.metrics) } : {}),
    });
    app.decorate('snapshot', job);
    app.addHook('onClose', async () => job.stop());
    // Retention runs beside the snapshot, on the instances that archive, under its own lock.
    const retention = startRetentionJob({
      store: app.archiveSource,
      db: app.db.db,
      log: app.log.child({ job: 'retention' }),
      retention: config.retention,
    });
    app.addHook('onClose', async () => retention.stop());
  },
  { name: 'snapshot', dependencies: ['store', 'db'] },
);

/**
 * Snapshot runs into the metrics. The online and concentration gauges come from the instance that
 * archived: the others drop theirs, so that across instances there is one current value (take
 * the max).
 */
function recordRun(metrics: Metrics) {
  return (run: SnapshotRun) => {
    metrics.snapshotRuns.inc({ status: run.status });
    if (run.status === 'skipped') {
      metrics.activeRooms.reset();
      metrics.onlineSessions.reset();
      metrics.concentratedRooms.reset();
      metrics.busiestAddressShare.reset();
      return;
    }
    metrics.snapshotSeconds.observe(run.ms / 1000);
    if (run.status !== 'ok') return;
    metrics.snapshotRows.inc(run.written);
    metrics.snapshotLastSuccess.set(run.at / 1000);
    if (run.online) {
      metrics.activeRooms.set(run.online.rooms);
      metrics.onlineSessions.set(run.online.sessions);
    }
    if (run.concentration) {
      metrics.concentratedRooms.set(run.concentration.rooms);
      metrics.busiestAddressShare.set(run.concentration.busiestShare);
    }
  };
}
