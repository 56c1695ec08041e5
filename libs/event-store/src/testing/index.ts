export * from './decider-specification';
export * from './event-store.contract';
