import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@keywarden/clock';
import { loadConfig } from '@keywarden/config';
import { Infrastructure } from '@keywarden/platform';
import { startKeyRegistry } from '../../key-registry/src/key-registry.service';
import { startSettings } from '../../settings/src/settings.service';

/** The admin services' OpenAPI documents, by the file name they are checked in under (docs/openapi/). */
export type OpenApiDocuments = Readonly<Record<'registry.json' | 'settings.json', unknown>>;

/** Where the checked-in documents live, relative to the repository root. */
export const OPENAPI_DOCS_DIR = join('docs', 'openapi');

/** The checked-in form of a document: what `npm run docs:openapi` writes and the drift test compares. */
export const serializeOpenApi = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;

/**
 * Builds both documents the way the services serve them: starts the registry and the settings
 * service on the embedded adapters in a throwaway folder and reads their /docs-json.
 */
export async function buildOpenApiDocuments(): Promise<OpenApiDocuments> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keywarden-openapi-'));
  const config = loadConfig({ KEYWARDEN_DATA_DIR: dataDir, REGISTRY_PORT: '0', SETTINGS_PORT: '0', EDGE_PORT: '0', LOG_LEVEL: 'warn' });
  const infra = new Infrastructure(config, 'openapi', { clock: new ManualClock('2025-11-23T12:44:11Z'), logDestination: { write: () => undefined } });
  const services = [await startSettings(infra), await startKeyRegistry(infra)];
  try {
    const fetchDocument = async (url: string): Promise<unknown> => (await fetch(`${url.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1')}/docs-json`)).json();
    const [settings, registry] = await Promise.all(services.map((service) => fetchDocument(service.url!)));
    return { 'registry.json': registry, 'settings.json': settings };
  } finally {
    for (const service of services.reverse()) await service.close();
    await infra.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
