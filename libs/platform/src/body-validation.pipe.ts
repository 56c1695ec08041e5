import { ArgumentMetadata, Injectable, ValidationPipe } from '@nestjs/common';
import { RequestRefusedException } from '@keywarden/observability';

/**
 * The ValidationPipe, plus: a route whose body is a DTO class takes a JSON object, never an array
 * (class-transformer would make it an array of DTOs that validation waves through, and the route
 * would apply its defaults).
 */
@Injectable()
export class BodyValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const takesObject = metadata.type === 'body' && typeof metadata.metatype === 'function' && metadata.metatype !== Array && metadata.metatype !== Object;
    if (takesObject && value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw new RequestRefusedException(400, 'BODY_NOT_AN_OBJECT', 'the body must be a JSON object');
    }
    return super.transform(value, metadata);
  }
}
