// GET /dashboard: the admin page (built into dist/client by `npm run build`) and uPlot, served
// from node_modules by @fastify/static, with security headers from @fastify/helmet. The page
// itself is public; everything it shows needs the admin token.
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import helmet from '@fastify/helmet';
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { errorResponses } from './schemas.js';
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

/**
 * The page runs only its own scripts and talks only to its own origin; no plugins, no framing,
 * forms post nowhere else. Spelled out in full rather than on top of helmet's defaults, whose
 * upgrade-insecure-requests would break a dashboard served over plain HTTP on a LAN address.
 */
export const contentSecurityPolicy = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'connect-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  // uPlot positions its legend and cursor with inline styles.
  'style-src': ["'self'", "'unsafe-inline'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

export interface DashboardRoutesOptions {
  /** Where the built dashboard is; dist/client by default. */
  clientDir?: string;
}

const dashboardRoutes: FastifyPluginAsyncTypebox<DashboardRoutesOptions> = async (app, options) => {
  // Registered in this plugin's scope: the headers apply to the dashboard's files only.
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy },
    referrerPolicy: { policy: 'no-referrer' },
    // Plain HTTP on a laptop or a LAN is how most operators first open it.
    strictTransportSecurity: false,
  });
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
          response: { 200: Type.String(), 304: Type.Null(), ...errorResponses(404, 429) },
        },
      },
      async (_request, reply) => sendBuiltFile(reply, roots[file.dir], file.name, file.type),
    );
  }
};

export default dashboardRoutes;
