// What /readyz asks: each dependency the service needs to answer, by name. Plugins that open a
// dependency (the store, the database) add their check; the route only runs them.
import type { Dependency } from './errors.js';

export interface ReadinessCheck {
  name: Dependency;
  /** Resolves when the dependency answers, within a bound of its own; rejects otherwise. */
  check: () => Promise<void>;
}

declare module 'fastify' {
  interface FastifyInstance {
    readinessChecks: ReadinessCheck[];
  }
}
