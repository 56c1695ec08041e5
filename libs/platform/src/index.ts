export * from './infrastructure';
export * from './http-app';
export * from './shutdown';
export * from './running-service';
