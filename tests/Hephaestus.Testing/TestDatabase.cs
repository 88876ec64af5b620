using Xunit;
using Hephaestus.Data;
using Hephaestus.Data.Embedded;
using Npgsql;

namespace Hephaestus.Testing;

/// <summary>
/// A class fixture: one database per test class, cloned from the migrated template, dropped at the end. Gives the two
/// roles the product uses: the schema owner (to arrange data, bypassing row-level security) and the application role
/// (what the service runs as, so row-level security applies).
/// </summary>
public class TestDatabase : IAsyncLifetime
{
    public const string SigningKeyBase64 = "aGVwaGFlc3R1cy10ZXN0LXNpZ25pbmcta2V5LW9mLTMyLWJ5dGVzISE=";

    TestCluster? _cluster;
    NpgsqlDataSource? _owner;
    NpgsqlDataSource? _app;

    public string Name { get; private set; } = "";
    public TestCluster Cluster => _cluster ?? throw new InvalidOperationException("not initialised");
    public string OwnerConnectionString => Cluster.ConnectionString(Name, EmbeddedProvisioner.OwnerRole, TestCluster.OwnerPassword);
    public string DirectAppConnectionString => Cluster.ConnectionString(Name, EmbeddedProvisioner.AppLogin, TestCluster.AppPassword);

    /// <summary>How the service and <see cref="App"/> reach the database: directly, or through a pooler (<see cref="PgBouncerApiDatabase"/>).</summary>
    public virtual string AppConnectionString => DirectAppConnectionString;

    /// <summary>The application data source's limits (a pooler's fixture marks them as behind a transaction pooler).</summary>
    protected virtual DatabaseLimits AppLimits => DatabaseLimits.Interactive;

    /// <summary>Acts as the schema owner: arranges and inspects data regardless of row-level security.</summary>
    public NpgsqlDataSource Owner => _owner ?? throw new InvalidOperationException("not initialised");

    /// <summary>Acts as the service does: row-level security applies.</summary>
    public NpgsqlDataSource App => _app ?? throw new InvalidOperationException("not initialised");

    public virtual async ValueTask InitializeAsync()
    {
        _cluster = await TestCluster.GetAsync();
        Name = await _cluster.CreateDatabaseAsync(GetType().Name);
        _owner = HephaestusDatabase.CreateDataSource(OwnerConnectionString, DatabaseLimits.Maintenance);
        await PrepareAppAccessAsync();
        _app = HephaestusDatabase.CreateDataSource(AppConnectionString, AppLimits);
    }

    /// <summary>Runs before the application data source is built (a pooler's fixture starts the pooler here).</summary>
    protected virtual Task PrepareAppAccessAsync() => Task.CompletedTask;

    public virtual async ValueTask DisposeAsync()
    {
        if (_owner is not null) await _owner.DisposeAsync();
        if (_app is not null) await _app.DisposeAsync();
        if (_cluster is not null && Name.Length > 0) await _cluster.DropDatabaseAsync(Name);
        GC.SuppressFinalize(this);
    }

    public async Task<T?> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = Owner.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        var value = await command.ExecuteScalarAsync();
        return value is null or DBNull ? default : (T)value;
    }

    public async Task<int> ExecuteAsync(string sql, params object[] parameters)
    {
        await using var command = Owner.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Runs <paramref name="sql"/> as the application login (no actor set) and returns the SQLSTATE it fails with: for
    /// tests that the database itself refuses what the service must never do (42501 for an append-only table).
    /// </summary>
    public async Task<string> AppRefusalAsync(string sql)
    {
        await using var connection = await App.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        try
        {
            await command.ExecuteNonQueryAsync();
        }
        catch (PostgresException refused)
        {
            return refused.SqlState;
        }

        throw new InvalidOperationException($"The application login was allowed to run: {sql}");
    }

    /// <summary>Creates a cohort with this learner and this educator in it and returns its id.</summary>
    public async Task<Guid> CohortAsync(Guid learner, Guid educator)
    {
        var cohort = Guid.CreateVersion7();
        await ExecuteAsync("INSERT INTO hephaestus.cohorts (id, name) VALUES ($1, 'Cohort')", cohort);
        await ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner'), ($1, $3, 'educator')",
            cohort, learner, educator);
        return cohort;
    }

    /// <summary>Creates a user directly (as the owner) and returns its id; the subject is "test|" + email.</summary>
    public Task<Guid> CreateUserAsync(string email, params string[] roles) => CreateUserAsync(Owner, email, roles);

    /// <summary>The same on any database the tests own (an embedded service's, a rehearsal cluster's), as its schema owner.</summary>
    public static async Task<Guid> CreateUserAsync(NpgsqlDataSource owner, string email, params string[] roles)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var id = Guid.CreateVersion7();
        await using var command = owner.CreateCommand(
            "INSERT INTO hephaestus.users (id, external_subject, email, display_name, roles) VALUES ($1, $2, $3, $4, $5)");
        foreach (var p in new object[] { id, "test|" + email, email, email.Split('@')[0], roles.Length == 0 ? new[] { "learner" } : roles })
        {
            command.Parameters.Add(new NpgsqlParameter { Value = p });
        }

        await command.ExecuteNonQueryAsync();
        return id;
    }
}
