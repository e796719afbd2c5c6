// GET /dashboard: the admin page (built into dist/client by `npm run build`) and uPlot, served
// from node_modules. The page itself is public; everything it shows needs the admin token.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { assetReader, defaultClientDir, sendAsset } from './assets.js';
import { errorResponses, publicRoute, textResponse } from './schemas.js';
import { pageSecurityHeaders } from './security-headers.js';

const maxAgeS = 300;

const uplotDir = join(dirname(createRequire(import.meta.url).resolve('uplot')), '.');

/** URL path → file, directory and type. */
const files = {
  '/dashboard': { name: 'dashboard.html', dir: 'client', type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.js': {
    name: 'dashboard.js',
    dir: 'client',
    type: 'application/javascript; charset=utf-8',
  },
  '/dashboard/dashboard.css': {
    name: 'dashboard.css',
    dir: 'client',
    type: 'text/css; charset=utf-8',
  },
  '/dashboard/uplot.js': {
    name: 'uPlot.iife.min.js',
    dir: 'uplot',
    type: 'application/javascript; charset=utf-8',
  },
  '/dashboard/uplot.css': { name: 'uPlot.min.css', dir: 'uplot', type: 'text/css; charset=utf-8' },
} as const;

export interface DashboardRoutesOptions {
  /** Where the built dashboard is; dist/client by default. */
  clientDir?: string;
}

const dashboardRoutes: FastifyPluginAsyncTypebox<DashboardRoutesOptions> = async (app, options) => {
  const readers = {
    client: assetReader(options.clientDir ?? defaultClientDir),
    uplot: assetReader(uplotDir),
  };

  for (const [path, file] of Object.entries(files)) {
    readers[file.dir](file.name);
    app.get(
      path,
      {
        schema: {
          summary:
            path === '/dashboard' ? 'The admin dashboard (a page)' : `Dashboard asset ${file.name}`,
          tags: ['admin'],
          hide: path !== '/dashboard',
          operationId: path === '/dashboard' ? 'getDashboard' : undefined,
          // The page itself asks for the admin token; loading it needs none.
          ...publicRoute,
          response: {
            200: textResponse(file.type, 'The page or one of its assets.'),
            304: Type.Null(),
            ...errorResponses(404, 429),
          },
        },
      },
      async (request, reply) => {
        reply.headers(pageSecurityHeaders);
        return sendAsset(
          request,
          reply,
          readers[file.dir](file.name),
          file.name,
          file.type,
          maxAgeS,
        );
      },
    );
  }
};

export default dashboardRoutes;
