using Hephaestus.Data;
using Hephaestus.Data.Embedded;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Hephaestus.Testing;

/// <summary>
/// The PostgreSQL server of a test run. With HEPHAESTUS_TEST_DB unset, a throwaway cluster is started with the embedded
/// launcher (once per test process) and deleted at the end; with it set (a superuser connection string), that server is
/// used. Either way the schema is migrated once into a template database that every test class clones.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    public const string EnvironmentVariable = "HEPHAESTUS_TEST_DB";
    public const string OwnerPassword = "owner-test-password";
    public const string AppPassword = "app-test-password";

    static readonly SemaphoreSlim Gate = new(1, 1);
    static Task<TestCluster>? _instance;
    static int _databaseCounter;

    readonly EmbeddedPostgres? _embedded;
    readonly string? _tempRoot;
    readonly string _templateName;

    TestCluster(string superuserConnectionString, EmbeddedPostgres? embedded, string? tempRoot, string templateName)
    {
        SuperuserConnectionString = superuserConnectionString;
        _embedded = embedded;
        _tempRoot = tempRoot;
        _templateName = templateName;
    }

    public string SuperuserConnectionString { get; }

    /// <summary>The running embedded cluster, when the tests started one (null with HEPHAESTUS_TEST_DB).</summary>
    public EmbeddedPostgres? Embedded => _embedded;

    public static Task<TestCluster> GetAsync() => LazyInitializer.EnsureInitialized(ref _instance, StartAsync);

    static async Task<TestCluster> StartAsync()
    {
        var external = Environment.GetEnvironmentVariable(EnvironmentVariable);
        EmbeddedPostgres? embedded = null;
        string? tempRoot = null;
        string superuser;
        if (!string.IsNullOrWhiteSpace(external))
        {
            superuser = external;
        }
        else
        {
            tempRoot = Path.Combine(Path.GetTempPath(), "hephaestus-tests-" + Guid.NewGuid().ToString("N")[..12]);
            Directory.CreateDirectory(tempRoot);
            embedded = await EmbeddedPostgres.StartAsync(new EmbeddedPostgresOptions
            {
                DataDirectory = Path.Combine(tempRoot, "pg"),
                // A throwaway cluster: durability buys nothing here and costs seconds per CREATE DATABASE.
                InitialSettings = new Dictionary<string, string>
                {
                    ["fsync"] = "off",
                    ["synchronous_commit"] = "off",
                    ["full_page_writes"] = "off",
                    ["max_connections"] = "300",
                    ["shared_buffers"] = "'256MB'",
                },
            }, NullLogger.Instance);
            superuser = embedded.ConnectionString();
            AppDomain.CurrentDomain.ProcessExit += (_, _) => StopQuietly(embedded, tempRoot);
        }

        var template = "hephaestus_template_" + Environment.ProcessId;
        await using (var connection = new NpgsqlConnection(superuser + ";Pooling=false"))
        {
            await connection.OpenAsync();
            await EmbeddedProvisioner.ProvisionRolesAsync(connection, OwnerPassword, AppPassword, default);
            await Execute(connection, $"DROP DATABASE IF EXISTS \"{template}\" WITH (FORCE)");
            await EmbeddedProvisioner.CreateDatabaseAsync(connection, template, EmbeddedProvisioner.OwnerRole, default);
        }

        var ownerTemplate = new NpgsqlConnectionStringBuilder(superuser)
        {
            Database = template,
            Username = EmbeddedProvisioner.OwnerRole,
            Password = OwnerPassword,
            Pooling = false,
        }.ConnectionString;
        await using (var owner = HephaestusDatabase.CreateDataSource(ownerTemplate, DatabaseLimits.Maintenance))
        {
            await SchemaMigrator.MigrateAsync(owner, default);
        }

        return new TestCluster(superuser, embedded, tempRoot, template);
    }

    /// <summary>A fresh database cloned from the migrated template (a file copy: far faster than migrating again).</summary>
    public async Task<string> CreateDatabaseAsync(string hint)
    {
        var name = $"t{Interlocked.Increment(ref _databaseCounter)}_{Environment.ProcessId}_{Sanitize(hint)}";
        await Gate.WaitAsync();
        try
        {
            await using var connection = new NpgsqlConnection(SuperuserConnectionString + ";Pooling=false");
            await connection.OpenAsync();
            await EmbeddedProvisioner.CreateDatabaseAsync(connection, name, EmbeddedProvisioner.OwnerRole, default, template: _templateName);
        }
        finally
        {
            Gate.Release();
        }

        return name;
    }

    public async Task DropDatabaseAsync(string name)
    {
        await using var connection = new NpgsqlConnection(SuperuserConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await Execute(connection, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }

    public string ConnectionString(string database, string user, string password) =>
        new NpgsqlConnectionStringBuilder(SuperuserConnectionString) { Database = database, Username = user, Password = password }.ConnectionString;

    static string Sanitize(string hint)
    {
        var chars = hint.ToLowerInvariant().Where(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9')).Take(30).ToArray();
        return new string(chars);
    }

    static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Stops this process's cluster, if it started one, and deletes it. Called by <see cref="TestClusterLifetime"/> when the
    /// test run ends, inside the test framework: left to ProcessExit alone, a slow stop on a loaded machine outlasts the
    /// test platform's wait for exit, which then reports "foreground threads were left running" and fails the run.
    /// ProcessExit stays as the fallback (a run cancelled before the fixture is disposed).
    /// </summary>
    public static async Task StopIfStartedAsync()
    {
        if (_instance is null) return;
        var cluster = await _instance;
        if (cluster._embedded is { } embedded) await Task.Run(() => StopQuietly(embedded, cluster._tempRoot!));
    }

    static void StopQuietly(EmbeddedPostgres embedded, string tempRoot)
    {
        if (!Directory.Exists(tempRoot)) return; // stopped and deleted already (TestClusterLifetime), ProcessExit finds nothing to do
        try
        {
            embedded.StopAsync(immediate: true).GetAwaiter().GetResult();
            Directory.Delete(tempRoot, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            Console.Error.WriteLine($"Could not clean up the test cluster in {tempRoot}: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_embedded is not null && _tempRoot is not null)
        {
            await _embedded.StopAsync();
            Directory.Delete(_tempRoot, recursive: true);
        }
    }
}
