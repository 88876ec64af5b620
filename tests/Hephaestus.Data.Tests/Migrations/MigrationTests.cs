using Hephaestus.Data.Embedded;
using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Data.Tests.Migrations;

public class MigrationTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_migrated_database_has_every_migration_and_is_current()
    {
        var status = await SchemaMigrator.StatusAsync(db.Owner, default);
        Assert.True(status.IsCurrent);
        Assert.Equal(SchemaMigrations.All.Select(m => m.Id), status.Applied);
    }

    [Fact]
    public async Task The_idempotent_script_builds_an_empty_database_and_is_a_no_op_the_second_time()
    {
        var name = "script_" + Guid.NewGuid().ToString("N")[..8];
        await using (var superuser = new NpgsqlConnection(db.Cluster.SuperuserConnectionString + ";Pooling=false"))
        {
            await superuser.OpenAsync();
            await EmbeddedProvisioner.CreateDatabaseAsync(superuser, name, EmbeddedProvisioner.OwnerRole, default);
        }

        try
        {
            var script = SchemaMigrator.Script();
            await using var owner = HephaestusDatabase.CreateDataSource(db.Cluster.ConnectionString(name, EmbeddedProvisioner.OwnerRole, TestCluster.OwnerPassword), DatabaseLimits.Maintenance);
            for (var run = 0; run < 2; run++)
            {
                await using var command = owner.CreateCommand(script);
                await command.ExecuteNonQueryAsync();
            }

            Assert.True((await SchemaMigrator.StatusAsync(owner, default)).IsCurrent);
            await using var tables = owner.CreateCommand("SELECT count(*) FROM pg_tables WHERE schemaname = 'hephaestus'");
            Assert.Equal(await db.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = 'hephaestus'"), (long)(await tables.ExecuteScalarAsync())!);
        }
        finally
        {
            await db.Cluster.DropDatabaseAsync(name);
        }
    }

    [Fact]
    public async Task Every_migration_goes_down_to_nothing_and_up_again()
    {
        await SchemaMigrator.RevertAsync(db.Owner, target: null, default);
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_tables WHERE schemaname = 'hephaestus' AND tablename <> '__ef_migrations_history'"));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'hephaestus'"));
        await SchemaMigrator.MigrateAsync(db.Owner, default);
        Assert.True((await SchemaMigrator.StatusAsync(db.Owner, default)).IsCurrent);
    }

    [Fact]
    public async Task Reverting_the_defence_in_depth_restores_what_postgresql_grants_by_default_and_going_up_takes_it_away_again()
    {
        const string Probe = """
            SELECT has_function_privilege('public', 'hephaestus.can_read_learner(uuid)', 'EXECUTE'),
                   has_column_privilege('hephaestus_app', 'hephaestus.item_versions', 'definition', 'SELECT'),
                   has_database_privilege('public', current_database(), 'CONNECT'),
                   EXISTS (SELECT 1 FROM pg_policies WHERE schemaname = 'hephaestus' AND policyname = 'evidence_insert_by_owner'),
                   EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = 'users_guard_email')
            """;
        async Task<(bool, bool, bool, bool, bool)> ProbeAsync()
        {
            await using var command = db.Owner.CreateCommand(Probe);
            await using var reader = await command.ExecuteReaderAsync();
            await reader.ReadAsync();
            return (reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetBoolean(4));
        }

        Assert.Equal((false, false, false, true, true), await ProbeAsync());
        await SchemaMigrator.RevertAsync(db.Owner, "20261125140000_CompetencyCatalog", default);
        Assert.Equal((true, true, true, false, false), await ProbeAsync());
        await SchemaMigrator.MigrateAsync(db.Owner, default);
        Assert.Equal((false, false, false, true, true), await ProbeAsync());
    }

    [Fact]
    public async Task The_application_role_owns_nothing_and_cannot_bypass_row_level_security()
    {
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'hephaestus' AND pg_get_userbyid(c.relowner) IN ('hephaestus', 'hephaestus_app')
            """));
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
            WHERE n.nspname = 'hephaestus' AND pg_get_userbyid(p.proowner) IN ('hephaestus', 'hephaestus_app')
            """));
        Assert.False(await db.ScalarAsync<bool>("SELECT rolsuper OR rolbypassrls OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = 'hephaestus'"));
        // Every table holding learner or catalog data has row-level security on; the events' staging table cannot (binary
        // COPY refuses a table with it) and holds only rows that are never committed (Sql/0023_events.sql).
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'hephaestus' AND c.relkind = 'r' AND NOT c.relrowsecurity
              AND c.relname NOT IN ('__ef_migrations_history', 'learning_event_staging')
            """));
    }

    // Issue 9, item 2: path steps get foreign keys to their skill or assessment. A database holding a step that points at
    // nothing cannot take them; the migration fails naming every such step rather than leaving it behind, and goes
    // through once the step is fixed.
    [Fact]
    public async Task Bug_9_the_step_reference_migration_names_dangling_steps_and_refuses_to_run()
    {
        const string before = "20261125140000_CompetencyCatalog";
        await SchemaMigrator.RevertAsync(db.Owner, before, default);
        var path = Guid.CreateVersion7();
        var version = Guid.CreateVersion7();
        var ghost = Guid.CreateVersion7();
        try
        {
            await db.ExecuteAsync("INSERT INTO hephaestus.learning_paths (id, code, title) VALUES ($1, 'dangling', 'Dangling')", path);
            await db.ExecuteAsync("INSERT INTO hephaestus.path_versions (id, path_id, version) VALUES ($1, $2, 1)", version, path);
            await db.ExecuteAsync("""
                INSERT INTO hephaestus.path_steps (id, path_version_id, step_key, kind, ref_id, title, position)
                VALUES ($1, $2, 'ghost-quiz', 'assessment', $3, 'Ghost', 0)
                """, Guid.CreateVersion7(), version, ghost);

            var error = await Assert.ThrowsAsync<PostgresException>(() => SchemaMigrator.MigrateAsync(db.Owner, default));
            Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, error.SqlState);
            Assert.Contains("step ghost-quiz (assessment " + ghost + ")", error.MessageText, StringComparison.Ordinal);
            Assert.False((await SchemaMigrator.StatusAsync(db.Owner, default)).IsCurrent);
        }
        finally
        {
            await db.ExecuteAsync("DELETE FROM hephaestus.learning_paths WHERE id = $1", path);
        }

        await SchemaMigrator.MigrateAsync(db.Owner, default);
        Assert.True((await SchemaMigrator.StatusAsync(db.Owner, default)).IsCurrent);
    }
}
