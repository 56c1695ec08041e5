import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

@ApiSchema({ name: 'RevealKeyRequest' })
export class RevealKeyRequestDto {
  /** The `requestId` of the 202 answer to `reveal-requests`. */
  @ApiProperty({ description: 'The `requestId` of the 202 answer to reveal-requests.', pattern: '^rvl_[0-9a-f]{32}$', example: 'rvl_0123456789abcdef0123456789abcdef' })
  @IsString()
  @Matches(/^rvl_[0-9a-f]{32}$/, { message: 'requestId must be the requestId returned by reveal-requests' })
  requestId!: string;

  @ApiProperty({ description: 'The 6-digit code sent by email.', pattern: '^\\d{6}$', example: '042917' })
  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be the 6 digits sent by email' })
  code!: string;
}
