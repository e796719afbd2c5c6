// The dashboard's bundle holds the dashboard and the browser libraries it uses, nothing of the
// server: it takes the API's types from the routes' schemas as types only.
import { describe, expect, it } from 'vitest';
import { bundle } from '../../src/dashboard/build.js';

describe('the dashboard bundle', () => {
  it('is made of the dashboard and csv-stringify only, though its types come from src/routes', async () => {
    const { text, inputs } = await bundle('dashboard.ts');
    const outside = inputs.filter(
      (path) => !path.startsWith('src/dashboard/') && !path.includes('node_modules/csv-stringify/'),
    );
    expect(outside).toEqual([]);
    expect(inputs).toContain('src/dashboard/room.ts');
    expect(text.length).toBeGreaterThan(10_000);
  });
});
