import { Injectable, PipeTransform } from '@nestjs/common';
import { Envelope, envelopeFromMessage } from '@keywarden/contracts';
import { IncomingMessage } from '../message-bus.port';

/** Decodes a bus message into its envelope: `@Payload(EnvelopePipe) envelope: Envelope`. A bad envelope is poison (BAD_ENVELOPE). */
@Injectable()
export class EnvelopePipe implements PipeTransform<IncomingMessage, Envelope> {
  transform(message: IncomingMessage): Envelope {
    return envelopeFromMessage(message.headers, message.key, message.value);
  }
}
