import { BaseRpcContext } from '@nestjs/microservices';
import { IncomingMessage } from '../message-bus.port';

/** What a bus handler may ask besides the payload: the raw message (topic, partition, offset, headers). */
export class MessageBusContext extends BaseRpcContext<[IncomingMessage]> {
  getMessage(): IncomingMessage {
    return this.args[0];
  }
}
