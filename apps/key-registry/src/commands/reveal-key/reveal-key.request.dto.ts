import { IsString, Matches } from 'class-validator';

export class RevealKeyRequestDto {
  /** The `requestId` of the 202 answer to `reveal-requests`. */
  @IsString()
  @Matches(/^rvl_[0-9a-f]{32}$/, { message: 'requestId must be the requestId returned by reveal-requests' })
  requestId!: string;

  @IsString()
  @Matches(/^\d{6}$/, { message: 'code must be the 6 digits sent by email' })
  code!: string;
}
