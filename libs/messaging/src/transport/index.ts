export * from './message-bus.transport';
export * from './message-bus.context';
export * from './rethrow-rpc-exception.filter';
export * from './envelope.pipe';
