/* eslint-disable no-console -- a command-line entry point: its output is for a person */
import { ensureDatabase, migrate, redactUrl } from "../migrate";

const url = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/dbmesh";

try {
  if (await ensureDatabase(url)) console.log(`created database ${redactUrl(url)}`);
  await migrate(url, (line) => console.log(line));
} catch (err) {
  console.error(`db:migrate failed for ${redactUrl(url)}: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
