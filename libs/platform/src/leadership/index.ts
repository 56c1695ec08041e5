export * from './leader-election.port';
export * from './single-process-leader-election.adapter';
export * from './postgres-leader-election.adapter';
