import { Controller, Get, Header, Inject } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SigningKeyRing } from '@keywarden/crypto';

export const SIGNING_KEY_RING = Symbol('SIGNING_KEY_RING');

@ApiTags('Keys')
@Controller('.well-known')
export class JwksHttpController {
  constructor(@Inject(SIGNING_KEY_RING) private readonly signingKeys: SigningKeyRing) {}

  /** The public keys that sign Secrets, current and still-published older ones. */
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({
    operationId: 'getSigningKeys',
    summary: 'The public keys that sign Secrets (JWKS)',
    description: 'A JSON Web Key Set (RFC 7517) to verify Secrets offline; needs no token. Cache it for five minutes.',
    security: [],
  })
  @ApiOkResponse({
    description: 'The key set.',
    headers: { 'Cache-Control': { description: 'public, max-age=300', schema: { type: 'string' } } },
    schema: {
      type: 'object',
      required: ['keys'],
      properties: { keys: { type: 'array', items: { type: 'object', required: ['kty', 'kid'], properties: { kty: { type: 'string' }, kid: { type: 'string' }, alg: { type: 'string' }, use: { type: 'string' }, crv: { type: 'string' }, x: { type: 'string' } }, additionalProperties: true } } },
      example: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'sk_2025_11', alg: 'EdDSA', use: 'sig' }] },
    },
  })
  jwks() {
    return this.signingKeys.jwks();
  }
}
