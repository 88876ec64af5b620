using Hephaestus.Data.Embedded;
using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Data.Tests.Migrations;

/// <summary>The migrator on empty databases of the test cluster; the class database is the migrated template's clone.</summary>
public class SchemaMigratorTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    static readonly IReadOnlyList<string> AllIds = SchemaMigrations.All.Select(m => m.Id).ToList();

    [Fact]
    public async Task A_fresh_database_migrates_and_a_second_run_applies_nothing()
    {
        await using var empty = await EmptyDatabase.CreateAsync(db.Cluster);
        // The application role reads status without owning anything: a missing schema means nothing is applied.
        var before = await SchemaMigrator.StatusAsync(empty.App, default);
        Assert.Empty(before.Applied);
        Assert.Equal(AllIds, before.Pending);

        Assert.Equal(AllIds, await SchemaMigrator.MigrateAsync(empty.Owner, default));
        Assert.Empty(await SchemaMigrator.MigrateAsync(empty.Owner, default));

        Assert.True((await SchemaMigrator.StatusAsync(empty.App, default)).IsCurrent);
        Assert.Equal(
            AllIds.Select(id => $"{id} {SchemaMigrator.ProductVersion}"),
            await empty.ColumnAsync("SELECT migration_id || ' ' || product_version FROM hephaestus.__ef_migrations_history ORDER BY 1"));
    }

    [Fact]
    public async Task Two_migrators_at_once_both_succeed_and_apply_each_migration_exactly_once()
    {
        await using var empty = await EmptyDatabase.CreateAsync(db.Cluster);
        // Two data sources: two processes' pools, as two instances of the service starting together.
        await using var other = HephaestusDatabase.CreateDataSource(empty.OwnerConnectionString, DatabaseLimits.Maintenance);

        var applied = await Task.WhenAll(
            Task.Run(() => SchemaMigrator.MigrateAsync(empty.Owner, default)),
            Task.Run(() => SchemaMigrator.MigrateAsync(other, default)));

        Assert.Equal(AllIds, applied.SelectMany(ids => ids).Order(StringComparer.Ordinal));
        Assert.True((await SchemaMigrator.StatusAsync(empty.Owner, default)).IsCurrent);
        Assert.Equal(AllIds, await empty.ColumnAsync("SELECT migration_id FROM hephaestus.__ef_migrations_history ORDER BY 1"));
    }

    [Fact]
    public async Task A_database_migrated_by_EF_Core_stays_current_and_one_migrated_part_way_moves_forward()
    {
        await using var empty = await EmptyDatabase.CreateAsync(db.Cluster);
        await SchemaMigrator.MigrateAsync(empty.Owner, default);
        // EF Core wrote its own version in product_version; the ids and the table are the same.
        await empty.ExecuteAsync("UPDATE hephaestus.__ef_migrations_history SET product_version = '10.0.4'");

        Assert.True((await SchemaMigrator.StatusAsync(empty.App, default)).IsCurrent);
        Assert.Empty(await SchemaMigrator.MigrateAsync(empty.Owner, default));

        Assert.Equal(AllIds.Skip(1).Reverse(), await SchemaMigrator.RevertAsync(empty.Owner, AllIds[0], default));
        Assert.Equal(AllIds.Skip(1), (await SchemaMigrator.StatusAsync(empty.App, default)).Pending);
        Assert.Equal(AllIds.Skip(1), await SchemaMigrator.MigrateAsync(empty.Owner, default));
        Assert.Equal(
            new[] { "10.0.4" }.Concat(AllIds.Skip(1).Select(_ => SchemaMigrator.ProductVersion)),
            await empty.ColumnAsync("SELECT product_version FROM hephaestus.__ef_migrations_history ORDER BY migration_id"));
    }

    [Fact]
    public async Task The_script_run_twice_on_an_empty_database_builds_the_schema_the_migrator_builds()
    {
        await using var empty = await EmptyDatabase.CreateAsync(db.Cluster);
        var script = SchemaMigrator.Script();
        for (var run = 0; run < 2; run++)
        {
            await empty.ExecuteAsync(script);
        }

        Assert.Equal(AllIds, await empty.ColumnAsync("SELECT migration_id FROM hephaestus.__ef_migrations_history ORDER BY 1"));
        var migrated = await ColumnAsync(db.Owner, SchemaFingerprint);
        Assert.NotEmpty(migrated);
        Assert.Equal(migrated, await empty.ColumnAsync(SchemaFingerprint));
    }

    /// <summary>
    /// Every object of the schema as text (columns, relations with their options and grants, constraints, indexes,
    /// functions with their bodies and grants, triggers, policies, views, default privileges), one row each, sorted.
    /// </summary>
    const string SchemaFingerprint = """
        WITH s AS (SELECT 'hephaestus'::regnamespace AS oid)
        SELECT 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN s ON c.relnamespace = s.oid
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE a.attnum > 0 AND NOT a.attisdropped
        UNION ALL
        SELECT 'relation ' || c.relname || ' ' || c.relkind::text || ' owner=' || pg_get_userbyid(c.relowner) || ' rls=' || c.relrowsecurity
               || ' options=' || coalesce(c.reloptions::text, '') || ' acl=' || coalesce(c.relacl::text, '')
        FROM pg_class c JOIN s ON c.relnamespace = s.oid
        UNION ALL
        SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(k.oid)
        FROM pg_constraint k JOIN s ON k.connamespace = s.oid
        UNION ALL
        SELECT 'index ' || pg_get_indexdef(i.indexrelid)
        FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN s ON c.relnamespace = s.oid
        UNION ALL
        SELECT 'function ' || pg_get_functiondef(p.oid) || ' owner=' || pg_get_userbyid(p.proowner) || ' acl=' || coalesce(p.proacl::text, '')
        FROM pg_proc p JOIN s ON p.pronamespace = s.oid
        UNION ALL
        SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
        FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN s ON c.relnamespace = s.oid
        WHERE NOT t.tgisinternal
        UNION ALL
        SELECT 'policy ' || p.polname || ' on ' || p.polrelid::regclass || ' ' || p.polcmd::text || ' permissive=' || p.polpermissive
               || ' roles=' || p.polroles::regrole[]::text || ' using ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '')
               || ' check ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '')
        FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid JOIN s ON c.relnamespace = s.oid
        UNION ALL
        SELECT 'view ' || c.relname || ' ' || pg_get_viewdef(c.oid)
        FROM pg_class c JOIN s ON c.relnamespace = s.oid WHERE c.relkind IN ('v', 'm')
        UNION ALL
        SELECT 'default privileges ' || a.defaclobjtype::text || ' ' || a.defaclacl::text
        FROM pg_default_acl a JOIN s ON a.defaclnamespace = s.oid
        UNION ALL
        SELECT 'schema acl=' || coalesce(n.nspacl::text, '') FROM pg_namespace n JOIN s ON n.oid = s.oid
        ORDER BY 1
        """;

    static async Task<List<string>> ColumnAsync(NpgsqlDataSource dataSource, string sql)
    {
        var rows = new List<string>();
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }

    /// <summary>A database with nothing in it, owned by the schema owner, dropped at the end.</summary>
    sealed class EmptyDatabase : IAsyncDisposable
    {
        readonly TestCluster _cluster;
        readonly string _name;

        EmptyDatabase(TestCluster cluster, string name)
        {
            _cluster = cluster;
            _name = name;
            OwnerConnectionString = cluster.ConnectionString(name, EmbeddedProvisioner.OwnerRole, TestCluster.OwnerPassword);
            Owner = HephaestusDatabase.CreateDataSource(OwnerConnectionString, DatabaseLimits.Maintenance);
            App = HephaestusDatabase.CreateDataSource(cluster.ConnectionString(name, EmbeddedProvisioner.AppLogin, TestCluster.AppPassword), DatabaseLimits.Interactive);
        }

        public string OwnerConnectionString { get; }
        public NpgsqlDataSource Owner { get; }
        public NpgsqlDataSource App { get; }

        public static async Task<EmptyDatabase> CreateAsync(TestCluster cluster)
        {
            var name = "empty_" + Guid.NewGuid().ToString("N")[..12];
            await using var superuser = new NpgsqlConnection(cluster.SuperuserConnectionString + ";Pooling=false");
            await superuser.OpenAsync();
            await EmbeddedProvisioner.CreateDatabaseAsync(superuser, name, EmbeddedProvisioner.OwnerRole, default);
            return new EmptyDatabase(cluster, name);
        }

        public Task<List<string>> ColumnAsync(string sql) => SchemaMigratorTests.ColumnAsync(Owner, sql);

        public async Task ExecuteAsync(string sql)
        {
            await using var command = Owner.CreateCommand(sql);
            await command.ExecuteNonQueryAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await Owner.DisposeAsync();
            await App.DisposeAsync();
            await _cluster.DropDatabaseAsync(_name);
        }
    }
}
