export * from './admin-principal';
export * from './admin-token-verifier';
export * from './admin.guard';
export * from './current-admin.decorator';
export * from './development-issuer';
export * from './admin-token.cli';
export * from './org-scope';
