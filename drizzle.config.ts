// drizzle-kit reads the schema from here and writes SQL migrations to drizzle/ (never edited by hand).
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './drizzle',
  casing: 'snake_case',
  strict: true,
});
