// Schedules the snapshot job on this instance (app.snapshot), stopped when the app closes.
// Needs the `store` and `db` decorations.
import fp from 'fastify-plugin';
import type { Config } from '../config.js';
import { type SnapshotJob, startSnapshotJob } from './snapshot.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The snapshot job of this instance; null when SNAPSHOT_ENABLED=false. */
    snapshot: SnapshotJob | null;
  }
}

export interface SnapshotPluginOptions {
  config: Pick<Config, 'snapshot'>;
}

export default fp<SnapshotPluginOptions>(
  async (app, { config }) => {
    if (!config.snapshot.enabled) {
      app.log.info('snapshot job: disabled (SNAPSHOT_ENABLED=false)');
      app.decorate('snapshot', null);
      return;
    }
    const job = startSnapshotJob({
      store: app.archiveSource,
      db: app.db.db,
      log: app.log.child({ job: 'snapshot' }),
      cron: config.snapshot.cron,
    });
    app.decorate('snapshot', job);
    app.addHook('onClose', async () => job.stop());
  },
  { name: 'snapshot', dependencies: ['store', 'db'] },
);
