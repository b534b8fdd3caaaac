// Lint for the whole project: typescript-eslint's type-aware rules (floating and misused promises,
// unsafe any, needless assertions) and the layer allowlist of eslint.layers.js (README, Architecture).
// `npm test` runs it (`npm run lint`).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layers } from './eslint.layers.js';

export default tseslint.config(
  {
    ignores: ['node_modules/', 'dist/', 'src/db/generated/', '.sg-state/', '.playground/', 'coverage/', '**/*.mjs', '**/*.cjs'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['*.js'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // An async method that implements an async interface without awaiting is fine; the promise
      // rules that matter (no-floating-promises, no-misused-promises, await-thenable) stay on.
      '@typescript-eslint/require-await': 'off',
      // A leading underscore marks a value kept on purpose (a destructured field left out, an
      // Express error handler's fourth parameter that gives it its arity).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The config files themselves: plain JavaScript, linted without types.
    files: ['*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  ...layers,
  {
    // Tests read what the stub platforms recorded: JSON payloads, typed as what they are (any) and
    // checked by the assertions. The no-unsafe-* family and the rules about stringifying any stay on for
    // src/ and tools/ only.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // expect(stub.method) is how a test names the method it checks; recorded payloads are any.
      '@typescript-eslint/unbound-method': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
      '@typescript-eslint/restrict-template-expressions': 'off',
    },
  },
);
