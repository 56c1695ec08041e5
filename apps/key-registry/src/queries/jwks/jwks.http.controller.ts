import { Controller, Get, Header, Inject } from '@nestjs/common';
import { SigningKeyRing } from '@keywarden/crypto';

export const SIGNING_KEY_RING = Symbol('SIGNING_KEY_RING');

@Controller('.well-known')
export class JwksHttpController {
  constructor(@Inject(SIGNING_KEY_RING) private readonly signingKeys: SigningKeyRing) {}

  /** The public keys that sign Secrets, current and still-published older ones. */
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  jwks() {
    return this.signingKeys.jwks();
  }
}
