// The problems a configuration error lists, for tests of what the environment may hold.
import { ConfigError, loadConfig } from '../../src/config.js';

export const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
};
