import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import globals from "globals";
import tseslint from "typescript-eslint";

// Workspaces run `eslint src` from their own folder; ESLint finds this file by walking up, and
// every pattern below is relative to the repository root.
export default defineConfig(
  {
    ignores: [
      "**/node_modules/**",
      "**/.next/**",
      "**/generated/**",
      "**/.turbo/**",
      "**/dist/**",
      "**/coverage/**",
      "**/test-results/**",
      "**/playwright-report/**",
      "**/next-env.d.ts",
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrorsIgnorePattern: "^_" },
      ],
    },
  },
  // Library and app code logs through pino; console output is for entry points and tooling.
  {
    files: ["packages/**/*.{ts,tsx}", "apps/**/*.{ts,tsx}"],
    rules: { "no-console": "error" },
  },
  {
    files: ["apps/*/src/main.ts", "scripts/**", "bench/**", "e2e/**"],
    rules: { "no-console": "off" },
  },
  // Build scripts run by Node as plain ES modules (the native addons' and what they share).
  {
    files: ["packages/*/native/**/*.mjs", "apps/*/native/**/*.mjs", "scripts/**/*.mjs"],
    languageOptions: { globals: globals.node },
    rules: { "no-console": "off" },
  },
);
