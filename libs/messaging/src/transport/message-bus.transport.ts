import { INestApplication, INestMicroservice, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { CE_HEADERS } from '@keywarden/contracts';
import { runWithRequestContext } from '@keywarden/observability';
import { ConsumerHandle, IncomingMessage, MessageBus } from '../message-bus.port';
import { MessageBusContext } from './message-bus.context';
import { RethrowRpcExceptionFilter } from './rethrow-rpc-exception.filter';

/** The extras of `@EventPattern(topic, { groupId, fromBeginning })`: which group consumes the topic, from where. */
export type BusEventPatternExtras = Readonly<{ groupId: string; fromBeginning?: boolean }>;

export type MessageBusTransportOptions = Readonly<{
  /**
   * Group ids chosen at start (configuration, tests) for the names the decorators declare: a handler
   * declared with `{ groupId: 'notifier' }` joins `groupIds.notifier` when given. A function is asked
   * when the transport listens (after the bootstrap hooks, which may decide it). @default {}
   */
  groupIds?: Readonly<Record<string, string | (() => string)>>;
}>;

/**
 * A Nest microservice transport over the `MessageBus` port, so a handler declared with
 * `@EventPattern(topic, { groupId, fromBeginning })` runs the same on Kafka and on the in-process bus.
 * The port keeps its semantics: the handler's promise (or observable) settles before the bus commits, so
 * its error reaches the bus's failure policy (retry in place, or dead-letter poison). That needs the
 * original error: register `RethrowRpcExceptionFilter` globally, as Nest's base filter replaces it.
 */
export class MessageBusTransport extends Server implements CustomTransportStrategy {
  private readonly handles: ConsumerHandle[] = [];

  constructor(
    private readonly bus: MessageBus,
    private readonly options: MessageBusTransportOptions = {},
  ) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const group of this.consumerGroups()) {
        this.handles.push(
          await this.bus.subscribe({ ...group, handler: (message) => this.dispatch(message) }),
        );
      }
    } catch (error) {
      await this.close();
      return callback(error);
    }
    callback();
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.splice(0).map((handle) => handle.stop()));
  }

  /** The transport emits no events of its own. */
  on(): never {
    throw new Error('MessageBusTransport has no events to listen to');
  }

  unwrap<T>(): T {
    return this.bus as T;
  }

  private async dispatch(message: IncomingMessage): Promise<void> {
    const handler = this.getHandlerByPattern(message.topic);
    if (!handler) throw new Error(`no @EventPattern handler for topic ${message.topic}`);
    const requestId = message.headers[CE_HEADERS.correlationId] || message.headers[CE_HEADERS.id];
    const run = async (): Promise<void> => {
      // Nest's handler also runs the other handlers of the topic (chained on `next`): all settle before the commit.
      const result: unknown = await handler(message, new MessageBusContext([message]));
      if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
    };
    if (!requestId) return run();
    return runWithRequestContext({ requestId, fromCaller: Boolean(message.headers[CE_HEADERS.correlationId]), orgId: message.key }, run);
  }

  /** One bus subscription per (group, fromBeginning), with every topic its handlers declared. */
  private consumerGroups(): { groupId: string; fromBeginning: boolean; topics: string[] }[] {
    const groups = new Map<string, { groupId: string; fromBeginning: boolean; topics: string[] }>();
    for (const [topic, handler] of this.messageHandlers) {
      const extras = handler.extras as Partial<BusEventPatternExtras> | undefined;
      if (!handler.isEventHandler || typeof extras?.groupId !== 'string') {
        throw new Error(`@EventPattern('${topic}') needs { groupId } in its extras to be consumed from the message bus`);
      }
      const fromBeginning = extras.fromBeginning ?? false;
      const bound = this.options.groupIds?.[extras.groupId];
      const groupId = (typeof bound === 'function' ? bound() : bound) ?? extras.groupId;
      const key = JSON.stringify([groupId, fromBeginning]);
      const group = groups.get(key) ?? { groupId, fromBeginning, topics: [] };
      group.topics.push(topic);
      groups.set(key, group);
    }
    return [...groups.values()];
  }
}

/**
 * The microservice of a module whose controllers consume the bus, with the rethrowing RPC filter. `init()`
 * runs the bootstrap hooks (work that must finish before consuming, such as a cache rebuild), then
 * `listen()` joins the groups.
 */
export async function startBusMicroservice(
  module: Parameters<typeof NestFactory.createMicroservice>[0],
  bus: MessageBus,
  logger: LoggerService | false,
  options: MessageBusTransportOptions = {},
): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(module, { strategy: new MessageBusTransport(bus, options), logger });
  app.useGlobalFilters(new RethrowRpcExceptionFilter());
  try {
    await app.init();
    await app.listen();
  } catch (error) {
    await app.close();
    throw error;
  }
  return app;
}

/**
 * Adds the bus consumers of an HTTP app's controllers, with the rethrowing RPC filter (not the HTTP
 * app's filters). They consume once `app.startAllMicroservices()` resolves: call it after `app.init()`.
 */
export function connectBusConsumers(app: INestApplication, bus: MessageBus, options: MessageBusTransportOptions = {}): INestMicroservice {
  const consumers = app.connectMicroservice({ strategy: new MessageBusTransport(bus, options) }, { inheritAppConfig: false });
  consumers.useGlobalFilters(new RethrowRpcExceptionFilter());
  return consumers;
}
