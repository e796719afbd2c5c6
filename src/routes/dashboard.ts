// GET /dashboard: the admin page (built into dist/client by `npm run build`) and uPlot, served
// from node_modules by @fastify/static, with security headers from @fastify/helmet. The page
// itself is public; everything it shows needs the admin token.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import helmet from '@fastify/helmet';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { errorResponses, publicRoute, textResponse } from './schemas.js';
import { pageHelmet } from './security-headers.js';
import { defaultClientDir, registerStaticFiles, sendBuiltFile } from './static-files.js';

const maxAgeS = 300;

const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot'));

const javascript = 'application/javascript; charset=utf-8';
const css = 'text/css; charset=utf-8';

/** URL path → file, where it is (the built client, or uPlot's dist) and its type. */
const files = {
  '/dashboard': { name: 'dashboard.html', dir: 'client', type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.js': { name: 'dashboard.js', dir: 'client', type: javascript },
  '/dashboard/dashboard.css': { name: 'dashboard.css', dir: 'client', type: css },
  '/dashboard/uplot.js': { name: 'uPlot.iife.min.js', dir: 'uplot', type: javascript },
  '/dashboard/uplot.css': { name: 'uPlot.min.css', dir: 'uplot', type: css },
} as const;

export interface DashboardRoutesOptions {
  /** Where the built dashboard is; dist/client by default. */
  clientDir?: string;
}

const dashboardRoutes: FastifyPluginAsyncTypebox<DashboardRoutesOptions> = async (app, options) => {
  // Registered in this plugin's scope: the headers apply to the dashboard's files only.
  await app.register(helmet, pageHelmet);
  await registerStaticFiles(app, options.clientDir ?? defaultClientDir, maxAgeS);
  const roots = { client: options.clientDir ?? defaultClientDir, uplot: uplotDir };

  for (const [path, file] of Object.entries(files)) {
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
      async (_request, reply) => sendBuiltFile(reply, roots[file.dir], file.name, file.type),
    );
  }
};

export default dashboardRoutes;
