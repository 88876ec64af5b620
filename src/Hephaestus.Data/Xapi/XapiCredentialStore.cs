using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Hephaestus.Data.Xapi;

/// <summary>An activity provider's credentials as an admin lists them: never the secret, which only its issuer saw once.</summary>
public sealed record XapiCredentialRecord(Guid Id, string Name, string Key, Guid? LearnerScope, Guid? CreatedBy, DateTimeOffset CreatedAt, DateTimeOffset? RevokedAt);

/// <summary>Freshly issued credentials: the record and the secret, which is not stored and cannot be read again.</summary>
public sealed record IssuedXapiCredential(XapiCredentialRecord Credential, string Secret);

/// <summary>What Basic authentication needs to check a request: who the provider is and the hash to compare with.</summary>
public sealed record XapiProviderCredential(Guid Id, string Name, Guid? LearnerScope, byte[] SecretSha256);

public enum XapiCredentialOutcome { Issued, ScopeNotFound }

/// <summary>
/// HTTP Basic credentials per activity provider (authoring tools, H5P, simulations): issued by an admin, listed, revoked.
/// The key is 128 random bits in hex (the Basic user name, public); the secret is 256 random bits, and only its SHA-256
/// is stored: a secret that cannot be guessed needs no salt or slow hash, and checking it costs one hash per request
/// (the service's Basic handler also keeps a verified credential for a few seconds).
/// </summary>
public static class XapiCredentialStore
{
    /// <summary>The actor role of a request made with provider credentials (Sql/0025_xapi_documents.sql); no user holds it.</summary>
    public const string ProviderRole = "xapi_provider";

    /// <summary>
    /// The actor of a provider's request: the nil user (it is no person, so learner policies show it nothing) with the
    /// provider role that the xAPI tables' policies and the agent-to-user door name.
    /// </summary>
    public static readonly Actor ProviderActor = new(Guid.Empty, [ProviderRole]);

    public const int MaxPageSize = Paging.MaxSize;

    const string Columns = "id, name, api_key, learner_scope, created_by, created_at, revoked_at";

    const string Insert = $"""
        INSERT INTO hephaestus.xapi_credentials (id, name, api_key, secret_sha256, learner_scope, created_by)
        VALUES ($1, $2, $3, $4, $5, $6) RETURNING {Columns}
        """;

    const string Listing = $"""
        SELECT {Columns} FROM hephaestus.xapi_credentials WHERE ($1::uuid IS NULL OR id > $1) ORDER BY id LIMIT $2
        """;

    const string Revoke = "UPDATE hephaestus.xapi_credentials SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING api_key";

    const string ByKey = "SELECT id, name, learner_scope, secret_sha256 FROM hephaestus.xapi_credential_by_key($1)";

    /// <summary>Issues credentials; the secret is returned here and nowhere else.</summary>
    public static async Task<(XapiCredentialOutcome Outcome, IssuedXapiCredential? Issued)> IssueAsync(
        NpgsqlDataSource db, Actor actor, string name, Guid? learnerScope, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(Insert);
        command.Parameters.Add(SqlParameters.Uuid(Guid.CreateVersion7()));
        command.Parameters.Add(SqlParameters.Text(name));
        command.Parameters.Add(SqlParameters.Text(key));
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = HashSecret(secret) });
        command.Parameters.Add(SqlParameters.NullableUuid(learnerScope));
        command.Parameters.Add(SqlParameters.NullableUuid(actor.PersonId));
        XapiCredentialRecord record;
        try
        {
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            record = Read(reader);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.ForeignKeyViolation && e.ConstraintName == "fk_xapi_credentials_scope")
        {
            return (XapiCredentialOutcome.ScopeNotFound, null);
        }

        await scope.CommitAsync(ct);
        return (XapiCredentialOutcome.Issued, new IssuedXapiCredential(record, secret));
    }

    public static async Task<Page<XapiCredentialRecord>> ListAsync(NpgsqlDataSource db, Actor actor, Guid? after, int size, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(Listing);
        command.Parameters.Add(SqlParameters.NullableUuid(after));
        command.Parameters.Add(SqlParameters.Int(Paging.Fetch(size)));
        var rows = new List<XapiCredentialRecord>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add(Read(reader));
        }

        await scope.CommitAsync(ct);
        return Paging.TrimById(rows, size, c => c.Id);
    }

    /// <summary>Revokes the credentials (again: no change) and returns their key; null when there are none with that id.</summary>
    public static async Task<string?> RevokeAsync(NpgsqlDataSource db, Actor actor, Guid id, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(Revoke);
        command.Parameters.Add(SqlParameters.Uuid(id));
        var key = await command.ExecuteScalarAsync(ct) as string;
        await scope.CommitAsync(ct);
        return key;
    }

    /// <summary>The live (unrevoked) credentials with this key, for authentication: no actor exists yet, so through the door.</summary>
    public static async Task<XapiProviderCredential?> FindByKeyAsync(NpgsqlDataSource db, string key, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        await using var command = db.CreateCommand(ByKey);
        command.Parameters.Add(SqlParameters.Text(key));
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        return new XapiProviderCredential(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetGuid(2),
            reader.GetFieldValue<byte[]>(3));
    }

    /// <summary>The stored form of a secret, and what a presented one is compared with.</summary>
    public static byte[] HashSecret(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    static XapiCredentialRecord Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetGuid(3),
        reader.IsDBNull(4) ? null : reader.GetGuid(4), reader.GetFieldValue<DateTimeOffset>(5),
        reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6));
}
