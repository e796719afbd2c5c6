// Starts Headcount: reads the configuration, builds the app, listens, and shuts down gracefully.
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { loggerOptions } from './logging.js';

function readConfig() {
  try {
    return loadConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) console.error(`headcount: ${problem}`);
    process.exit(1);
  }
}

const config = readConfig();
const app = await buildApp({ config, logger: loggerOptions(config) });

for (const notice of config.notices) app.log.warn(notice);
// The one line that ever shows the admin token (redacted everywhere else).
if (config.adminTokenGenerated) {
  app.log.warn(`ADMIN_TOKEN is not set; this run's admin token is ${config.adminToken}`);
}

closeWithGrace({ delay: 10_000 }, async ({ err }) => {
  if (err) app.log.error({ err }, 'shutting down after an error');
  await app.close();
});

await app.listen({ host: config.host, port: config.port });
