/**
 * Prints the schema built from the code into schema.graphql (the committed artifact).
 * `--check` exits 1 when the committed file differs, for CI's drift check.
 */
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { createSchema } from '../src/schema/build-schema';

export async function emittedSchema(): Promise<string> {
  const header = '# Emitted from the code by `npm run schema:emit`. Do not edit by hand.\n\n';
  return header + printSchema(lexicographicSortSchema(await createSchema())) + '\n';
}

async function main() {
  const file = path.resolve(__dirname, '..', 'schema.graphql');
  const emitted = await emittedSchema();
  if (process.argv.includes('--check')) {
    const committed = readFileSync(file, 'utf8');
    if (committed !== emitted) {
      console.error('schema.graphql is out of date: run `npm run schema:emit` and commit it.');
      process.exit(1);
    }
    console.log('schema.graphql matches the code.');
    return;
  }
  writeFileSync(file, emitted);
  console.log(`wrote ${file}`);
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
