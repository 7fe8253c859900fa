/** ARCHITECTURE.md's import rules, enforced in `npm run lint`. */
module.exports = {
  forbidden: [
    { name: 'no-cycles', severity: 'error', from: {}, to: { circular: true } },
    {
      name: 'core-is-plain-node',
      comment: 'src/ never imports electron, the renderer or the Electron shell',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: ['^renderer/', '^app/', '^node_modules/electron/'] }
    },
    {
      name: 'core-no-electron-package',
      severity: 'error',
      from: { path: '^src/' },
      to: { dependencyTypes: ['npm', 'npm-dev'], path: '^electron$|node_modules/electron/' }
    },
    {
      name: 'only-app-imports-electron',
      comment: 'the Electron shell is the one place that may touch electron',
      severity: 'error',
      from: { pathNot: '^app/' },
      to: { path: '^electron$|node_modules/electron/' }
    },
    {
      name: 'renderer-only-contract-types',
      comment: 'the renderer reaches the core only through types of src/api/contract and the one API client',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^src/', pathNot: ['^src/api/contract\\.ts$', '^src/api/api-client\\.ts$'] }
    },
    {
      name: 'api-client-neutral',
      comment: 'the renderer bundles src/api/api-client.ts: it may import the contract and nothing else (no node:*, no packages)',
      severity: 'error',
      from: { path: '^src/api/api-client\\.ts$' },
      to: { pathNot: '^src/api/contract\\.ts$' }
    },
    {
      name: 'renderer-contract-type-only',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^src/api/contract\\.ts$', dependencyTypesNot: ['type-only'] }
    },
    {
      name: 'app-only-core-entry',
      comment: 'the Electron shell imports only src/index.ts, src/api/* and the two dependency-free leaves (logger, errors)',
      severity: 'error',
      from: { path: '^app/' },
      to: { path: '^src/', pathNot: ['^src/index\\.ts$', '^src/api/', '^src/logger\\.ts$', '^src/errors\\.ts$'] }
    },
    {
      name: 'lower-layers-no-features',
      comment: 'net, crypto, store and search never import feature folders',
      severity: 'error',
      from: { path: '^src/(net|crypto|store|search)/' },
      to: { path: '^src/(chat|docs|files|org)/' }
    },
    {
      name: 'core-not-cli',
      comment: 'only the CLI entry knows about the CLI',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.js'] }
  }
}
