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
        // Every table holding learner or catalog data has row-level security on.
        Assert.Equal(0L, await db.ScalarAsync<long>("""
            SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'hephaestus' AND c.relkind = 'r' AND NOT c.relrowsecurity AND c.relname <> '__ef_migrations_history'
            """));
    }
}
