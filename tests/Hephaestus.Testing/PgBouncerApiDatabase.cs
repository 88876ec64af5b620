using Hephaestus.Data;
using Hephaestus.Data.Embedded;
using Npgsql;

namespace Hephaestus.Testing;

/// <summary>
/// <see cref="ApiDatabase"/> with the service, and <see cref="TestDatabase.App"/>, reaching the database through the test
/// run's PgBouncer in transaction mode (<see cref="TestPgBouncer"/>), configured as docs/operations.md says to run behind
/// one: <c>Database:Pooler=transaction</c>, and the session limits as the login's settings in this database (the startup
/// packet cannot carry them through PgBouncer). The schema owner stays direct, as migrations and CLI verbs do.
/// </summary>
public class PgBouncerApiDatabase : ApiDatabase
{
    TestPgBouncer? _bouncer;

    public TestPgBouncer Bouncer => _bouncer ?? throw new InvalidOperationException("not initialised");

    public override string AppConnectionString => Bouncer.ConnectionString(DirectAppConnectionString);

    protected override DatabaseLimits AppLimits => DatabaseLimits.Interactive with { TransactionPooler = true };

    protected override IReadOnlyDictionary<string, string?>? ApiSettings => new Dictionary<string, string?> { ["Database:Pooler"] = "transaction" };

    protected override async Task PrepareAppAccessAsync()
    {
        _bouncer = await TestPgBouncer.GetAsync();
        await using var connection = new NpgsqlConnection(Cluster.SuperuserConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(DatabaseLimits.Interactive.RoleSettingsSql(EmbeddedProvisioner.AppLogin, Name), connection);
        await command.ExecuteNonQueryAsync();
    }
}
