export * from './clock.port';
export * from './system-clock.adapter';
export * from './manual-clock.adapter';
export * from './scaled-clock.adapter';
export * from './development-clock';
