import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

@ApiSchema({ name: 'TestSecretRequest' })
export class TestSecretRequestDto {
  @ApiProperty({ description: 'The Secret to check, as pasted; it is neither stored nor logged.', minLength: 1, maxLength: 4096, example: 'kw_eyJhbGciOiJFZERTQSJ9…' })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  secret!: string;
}
