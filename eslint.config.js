import js from '@eslint/js'
import svelte from 'eslint-plugin-svelte'
import tseslint from 'typescript-eslint'
import svelteConfig from './svelte.config.js'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'bench/results/**', 'release/**', 'test-results/**', 'screenshots/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  ...svelte.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.config.ts'] },
        tsconfigRootDir: import.meta.dirname
      }
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      eqeqeq: 'error'
    }
  },
  {
    // Components and rune modules: svelte-eslint-parser reads the markup and hands each
    // <script lang="ts"> (and each .svelte.ts file) to typescript-eslint's parser, which types it
    // through renderer/tsconfig.json, so the type-aware rules run here too. That program sees
    // other components only through renderer/svelte-shims.d.ts (svelte-check sees their real
    // types): give a callback passed to a component, or a bind:this target, its type explicitly.
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: {
      parserOptions: {
        parser: tseslint.parser,
        extraFileExtensions: ['.svelte'],
        // One program for the renderer's tsconfig, not the project service: the service made a
        // program per component and took 2 minutes over the renderer; this takes 30 s and finds
        // the same (checked with a floating promise and a needless condition in a component and a
        // rune module).
        projectService: false,
        project: ['./renderer/tsconfig.json'],
        svelteConfig
      }
    },
    rules: {
      // TypeScript (svelte-check) already reports undefined names, and knows the DOM globals
      // that this rule would need to be told about one by one.
      'no-undef': 'off'
    }
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: null },
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', module: 'writable', require: 'readonly', setTimeout: 'readonly' } }
  },
  {
    // Tests and benchmarks may print and use node:test's promise-returning API freely.
    files: ['test/**/*.ts', 'bench/**/*.ts', 'src/**/*.test.ts', 'app/**/*.test.ts', 'renderer/**/*.test.ts', '*.config.ts'],
    rules: {
      'no-console': 'off',
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' }] }],
      '@typescript-eslint/no-non-null-assertion': 'off'
    }
  }
)
