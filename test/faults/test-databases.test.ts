import { Client } from 'pg';
import { createLeasedDatabase, dropStaleTestDatabases } from '../setup/test-database';
import { hasPostgresBinaries, OwnPostgres } from './own-postgres';

/**
 * Fault 8: `npm test` on a shared PostgreSQL dropped every `messaging_jest_<pid>` database
 * whose pid it could not see, i.e. the live runs of other machines. Now a run drops only a
 * database whose lease (an advisory lock held by its run's connection) nobody holds.
 */
(hasPostgresBinaries() ? describe : describe.skip)('test databases on a shared server', () => {
  let postgres: OwnPostgres;
  let admin: Client;

  beforeAll(async () => {
    postgres = await OwnPostgres.start();
    admin = new Client({ connectionString: postgres.url('postgres') });
    await admin.connect();
  }, 120_000);
  afterAll(async () => {
    await admin?.end();
    await postgres?.destroy();
  });

  const exists = async (name: string) => (await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount === 1;

  test("another live run's database survives, a dead run's is dropped, an unleased one is never touched", async () => {
    const server = postgres.url('postgres');
    // Another machine's live run: its pid means nothing here, its lease is held.
    const live = await createLeasedDatabase(server);
    // A run killed before its teardown: its lease went with its connection.
    const dead = await createLeasedDatabase(server);
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1', [`lease:${dead.name}`]);
    // An older run's database, without a lease marker, named by a pid no process has.
    await admin.query('create database messaging_jest_999999');

    const dropped = await dropStaleTestDatabases(server);

    expect(dropped).toEqual([dead.name]);
    expect(await exists(live.name)).toBe(true);
    expect(await exists(dead.name)).toBe(false);
    expect(await exists('messaging_jest_999999')).toBe(true);
    await live.drop();
    expect(await exists(live.name)).toBe(false);
  });
});
