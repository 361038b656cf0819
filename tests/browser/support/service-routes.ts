/**
 * The service's own answers where a host also serves static files: /healthz, /openapi.json, /docs
 * and the API must come from the app, whatever files the site holds.
 */
import { expect } from 'vitest';

/** Check that `origin` answers /healthz, /openapi.json, /docs and `/v1/…` itself. */
export async function expectServiceRoutes(origin: string): Promise<void> {
  const health = await fetch(`${origin}/healthz`);
  expect(health.headers.get('content-type')).toMatch(/application\/json/);
  expect(await health.json()).toHaveProperty('status');
  const spec = (await (await fetch(`${origin}/openapi.json`)).json()) as { openapi?: string };
  expect(spec.openapi).toMatch(/^3\./);
  expect(await (await fetch(`${origin}/docs`)).text()).toContain('SwaggerUIBundle');
  const api = await fetch(`${origin}/v1/classify`);
  expect(api.status).toBeGreaterThanOrEqual(400);
  expect(api.headers.get('content-type')).toMatch(/application\/problem\+json/);
}
