export * from './message-bus.port';
export * from './consumer-failure';
export * from './messaging-logger';
export * from './in-process-message-bus.adapter';
export * from './kafka-message-bus.adapter';
export * from './namespaced-message-bus';
export * from './kafka-readiness.probe';
export * from './sqlite-message-log';
