import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocuments, OPENAPI_DOCS_DIR, serializeOpenApi } from './openapi-documents';

// The documents checked into docs/openapi/ are what integrators and libs/api-client are generated
// from: they must be exactly what the code serves. A route, a DTO or an answer changed without
// `npm run docs:openapi` fails here.
describe('the checked-in OpenAPI documents', () => {
  it('are exactly what the services build (run `npm run docs:openapi` after changing a route)', async () => {
    const built = await buildOpenApiDocuments();
    for (const [name, document] of Object.entries(built)) {
      const checkedIn = readFileSync(join(__dirname, '..', '..', '..', OPENAPI_DOCS_DIR, name), 'utf8');
      expect({ name, document: serializeOpenApi(document) }).toEqual({ name, document: checkedIn });
    }
    // Starts both services and, for the types, two openapi-typescript processes: seconds under load.
  }, 30_000);

  it('are what libs/api-client\'s types were generated from (run `npm run api-client` after changing them)', () => {
    const root = join(__dirname, '..', '..', '..');
    for (const [document, types] of [['registry.json', 'registry.schema.d.ts'], ['settings.json', 'settings.schema.d.ts']]) {
      const generated = execFileSync(join(root, 'node_modules', '.bin', 'openapi-typescript'), [join(OPENAPI_DOCS_DIR, document)], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect({ types, generated }).toEqual({ types, generated: readFileSync(join(root, 'libs', 'api-client', 'src', types), 'utf8') });
    }
  }, 30_000);

  it('are OpenAPI 3.1 with the shared error body and both date-time forms described', async () => {
    const built = await buildOpenApiDocuments();
    for (const document of Object.values(built) as Array<{ openapi: string; components: { schemas: Record<string, { properties: Record<string, unknown> }> } }>) {
      expect(document.openapi).toBe('3.1.0');
      expect(document.components.schemas.ApiError.properties.details).toMatchObject({ properties: { code: { enum: expect.arrayContaining(['MALFORMED_JSON']) } } });
    }
    const registry = built['registry.json'] as { components: { schemas: Record<string, { properties: Record<string, { description: string; type: unknown }> }> } };
    expect(registry.components.schemas.Key.properties.expiresAt).toMatchObject({ type: ['string', 'null'], description: expect.stringContaining('2025-11-23T12:44:11Z') });
    expect(registry.components.schemas.Key.properties.expiresAt.description).toContain('`2025-11-23T12:44:11` (the same UTC instant');
  }, 30_000);
});
