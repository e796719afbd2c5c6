// Every route plugin, registered by app.ts. One file per resource.
import type { FastifyPluginAsync } from 'fastify';
import activityRoutes from './activity.js';
import badgeRoutes from './badge.js';
import clientRoutes from './client.js';
import countRoutes from './count.js';
import dashboardRoutes from './dashboard.js';
import entriesRoutes from './entries.js';
import healthRoutes from './health.js';
import heartbeatRoutes from './heartbeat.js';
import historyRoutes from './history.js';
import metricsRoutes from './metrics.js';
import periodsRoutes from './periods.js';
import roomsRoutes from './rooms.js';
import viewersRoutes from './viewers.js';
import webhooksRoutes from './webhooks.js';

export const routes: FastifyPluginAsync[] = [
  healthRoutes,
  metricsRoutes,
  heartbeatRoutes,
  countRoutes,
  viewersRoutes,
  activityRoutes,
  badgeRoutes,
  clientRoutes,
  roomsRoutes,
  dashboardRoutes,
  historyRoutes,
  periodsRoutes,
  entriesRoutes,
  webhooksRoutes,
];
