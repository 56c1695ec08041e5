export * from './infrastructure';
export * from './http-app';
export * from './shutdown';
export * from './running-service';
export * from './org-settings-topic.reader';
export * from './relay/event-store-relay';
export * from './relay/relay-checkpoints';
