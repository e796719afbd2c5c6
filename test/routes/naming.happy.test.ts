// Every public JSON field is snake_case: the answers of every route, their bodies and query
// parameters, and the webhook payloads, as the OpenAPI document at /docs/json describes them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp, type TestApp } from '../support/app.js';

const snakeCase = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/;

/** Every property name under a schema (nested objects, arrays, unions, records), with its path. */
function propertyNames(node: unknown, path: string, out: [string, string][]): [string, string][] {
  if (Array.isArray(node)) {
    for (const [i, item] of node.entries()) propertyNames(item, `${path}[${i}]`, out);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'properties' && value !== null && typeof value === 'object') {
        for (const name of Object.keys(value)) out.push([name, `${path}.${name}`]);
      }
      propertyNames(value, key === 'properties' ? path : `${path}.${key}`, out);
    }
  }
  return out;
}

interface Document {
  paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>>;
  components: { schemas: Record<string, unknown> };
}

describe('the public API', () => {
  let t: TestApp;
  let doc: Document;
  beforeAll(async () => {
    t = await openApp();
    doc = (await t.app.inject({ url: '/docs/json' })).json();
  });
  afterAll(() => t.close());

  it('names every field of every answer, body and webhook payload in snake_case', () => {
    const names: [string, string][] = [];
    for (const [path, operations] of Object.entries(doc.paths))
      propertyNames(operations, path, names);
    propertyNames(doc.components.schemas, 'components', names);
    // The walk reaches the answers of every kind of route and the webhook payloads.
    const seen = new Set(names.map(([name]) => name));
    for (const name of [
      'peak_sessions_at',
      'unique_viewers_estimate',
      'occurred_at',
      'started_at',
    ]) {
      expect(seen, name).toContain(name);
    }
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'RoomLiveEvent',
        'RoomEmptyEvent',
        'RoomPeakEvent',
        'RoomThresholdEvent',
        'RoomConcentratedEvent',
      ]),
    );
    expect(names.filter(([name]) => !snakeCase.test(name)).map(([, at]) => at)).toEqual([]);
  });

  it('names every query and path parameter in snake_case', () => {
    const parameters = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.values(operations).flatMap((o) =>
        (o.parameters ?? []).map((p) => `${path} ${p.in} ${p.name}`),
      ),
    );
    expect(parameters.length).toBeGreaterThan(10);
    expect(parameters.filter((p) => !snakeCase.test(p.split(' ')[2]!))).toEqual([]);
  });
});
