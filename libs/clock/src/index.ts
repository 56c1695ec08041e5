export * from './clock.port';
export * from './system-clock.adapter';
export * from './manual-clock.adapter';
