export * from './request-context';
export * from './logger';
export * from './api-exception.filter';
export * from './request-context.middleware';
export * from './request-refused.exception';
export * from './metrics';
export * from './dependency-deadline';
