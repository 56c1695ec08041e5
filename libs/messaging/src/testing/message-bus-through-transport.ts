// A MessageBus whose `subscribe` goes through Nest: each subscription is a microservice on
// `MessageBusTransport` with one `@EventPattern` controller, the global rethrowing RPC filter and the
// handler as its body. Running the MessageBus contract on it checks that the transport keeps the port's
// semantics (commit after the handler, retry in place, poison to the dead-letter topic).
import { Controller, Module } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { ConsumerHandle, ConsumerOptions, IncomingMessage, MessageBus } from '../message-bus.port';
import { startBusMicroservice } from '../transport/message-bus.transport';

function consumerModule({ topics, groupId, fromBeginning, handler }: ConsumerOptions) {
  @Controller()
  class Consumer {
    @EventPattern(topics, { groupId, fromBeginning })
    async consume(@Payload() message: IncomingMessage): Promise<void> {
      await handler(message);
    }
  }
  @Module({ controllers: [Consumer] })
  class ConsumerModule {}
  return ConsumerModule;
}

export function messageBusThroughTransport(bus: MessageBus): MessageBus {
  return {
    ensureTopics: (specs) => bus.ensureTopics(specs),
    publish: (messages) => bus.publish(messages),
    partitionOffsets: (topic) => bus.partitionOffsets(topic),
    consumerLag: () => bus.consumerLag(),
    close: () => bus.close(),
    async subscribe(options: ConsumerOptions): Promise<ConsumerHandle> {
      const app = await startBusMicroservice(consumerModule(options), bus, false);
      return { stop: () => app.close() };
    },
  };
}
