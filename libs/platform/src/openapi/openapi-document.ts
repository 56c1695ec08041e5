import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { REQUEST_REFUSAL_CODES } from '@keywarden/observability';
import { API_ERROR_SCHEMA } from './openapi-decorators';

export type OpenApiInfo = Readonly<{
  title: string;
  description: string;
  version?: string;
  /** Where the service listens by default (the embedded mode's port): the first server of the document. */
  defaultUrl: string;
  /** The stable `details.code` values of the service's refusals (its statusByCode keys). */
  errorCodes: readonly string[];
}>;

/** API.md's error body, with every stable code the service can answer in `details.code`. */
function apiErrorSchema(errorCodes: readonly string[]): Record<string, unknown> {
  const codes = [...new Set([...errorCodes, ...REQUEST_REFUSAL_CODES])].sort();
  return {
    type: 'object',
    description: 'The body of every refusal and error.',
    required: ['statusCode', 'error', 'message'],
    additionalProperties: false,
    properties: {
      statusCode: { type: 'integer', minimum: 400, maximum: 599, description: 'The HTTP status, repeated.', example: 404 },
      error: { type: 'string', description: 'The HTTP reason phrase of the status.', example: 'Not Found' },
      message: { type: 'string', description: 'What went wrong and what to do, for a person; never a secret.', example: 'key key_5f0c… does not exist in organisation acme' },
      details: {
        type: 'object',
        description: 'Present when the refusal has a stable code, or lists the invalid fields of a body.',
        additionalProperties: true,
        properties: {
          code: { type: 'string', enum: codes, description: 'A stable code to branch on; the message may change, the code does not.' },
          problems: { type: 'array', items: { type: 'string' }, description: 'Each invalid field of the body, one sentence each.' },
        },
      },
    },
  };
}

/** OpenAPI 3.1 schemas are JSON Schema 2020-12: `nullable` becomes a `null` member of `type`. */
function toJsonSchemaNullability(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(toJsonSchemaNullability);
  if (!node || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  if (schema.nullable === true && typeof schema.type === 'string') schema.type = [schema.type, 'null'];
  if ('nullable' in schema && typeof schema.nullable === 'boolean') delete schema.nullable;
  Object.values(schema).forEach(toJsonSchemaNullability);
}

/** Bodies are refused with an unknown field, and answers carry only their documented fields: say so. */
function closeComponentSchemas(document: OpenAPIObject): void {
  for (const schema of Object.values(document.components?.schemas ?? {})) {
    if ('properties' in schema && schema.additionalProperties === undefined) schema.additionalProperties = false;
  }
}

/**
 * The service's OpenAPI 3.1 document, built from its controllers' decorators (the same DTO classes
 * that validate the bodies): served at /docs-json and checked into docs/openapi/.
 */
export function buildOpenApiDocument(app: INestApplication, info: OpenApiInfo): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle(info.title)
    .setDescription(info.description)
    .setVersion(info.version ?? '1')
    .addServer(info.defaultUrl, 'The default address of `npm start` (set REGISTRY_PORT / SETTINGS_PORT to change it)')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An admin token of the organisation (`npm run admin-token` in development).' },
      'adminToken',
    )
    .addSecurityRequirements('adminToken')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.components = { ...document.components, schemas: { ...document.components?.schemas, [API_ERROR_SCHEMA]: apiErrorSchema(info.errorCodes) } };
  closeComponentSchemas(document);
  toJsonSchemaNullability(document);
  return { ...document, openapi: '3.1.0' };
}
