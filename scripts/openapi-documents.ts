import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocuments, OPENAPI_DOCS_DIR, serializeOpenApi } from '../apps/keywarden/src/openapi-documents';

/** `npm run docs:openapi`: rewrites docs/openapi/*.json from the code (the drift test checks them). */
async function main(): Promise<void> {
  const documents = await buildOpenApiDocuments();
  mkdirSync(OPENAPI_DOCS_DIR, { recursive: true });
  for (const [name, document] of Object.entries(documents)) {
    writeFileSync(join(OPENAPI_DOCS_DIR, name), serializeOpenApi(document));
    process.stdout.write(`wrote ${join(OPENAPI_DOCS_DIR, name)}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`docs:openapi: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
