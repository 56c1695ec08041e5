/**
 * Layer boundaries (STYLE.md §5), checked by `npm test`:
 * - the pure domain imports nothing from Nest, the store client, Kafka, Redis or node's IO;
 * - an app never imports another app (the all-in-one composition root `apps/keywarden` is the one
 *   place allowed to assemble the apps' modules, which is its whole job);
 * - libs never import apps.
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'decide/evolve are pure: infrastructure reaches the domain only through commands.',
      from: { path: '(^|/)domain/' },
      to: {
        path: '^node_modules/(@nestjs|kafkajs|ioredis|@eventstore|better-sqlite3|nodemailer|jose|pino)|^libs/(event-store|messaging|key-cache|observability|auth)/',
      },
    },
    {
      name: 'domain-no-node-io',
      severity: 'error',
      from: { path: '(^|/)domain/' },
      to: { dependencyTypes: ['core'], path: '^(crypto|fs|net|http|https|child_process)$' },
    },
    {
      name: 'no-app-to-app',
      severity: 'error',
      comment: 'Services share only libs/contracts; an app importing another app couples deployments.',
      from: { path: '^apps/([^/]+)/', pathNot: '^apps/keywarden/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.spec\\.ts$|\\.int-spec\\.ts$)' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
