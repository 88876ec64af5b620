using System.Data;
using System.Text.Json;
using Hephaestus.Domain.Identity;
using Npgsql;

namespace Hephaestus.Data.Identity;

/// <summary>A user row as read, with its version (xmin), which the edge sends as the ETag.</summary>
public sealed record UserRecord(
    Guid Id,
    string ExternalSubject,
    string Email,
    string DisplayName,
    string Locale,
    string TimeZone,
    string[] Roles,
    JsonElement Profile,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    uint Version);

/// <summary>A new user; locale, time zone, roles and profile have defaults when left out.</summary>
public sealed record NewUser(
    string ExternalSubject, string Email, string DisplayName, string? Locale, string? TimeZone, string[]? Roles, JsonElement? Profile);

/// <summary>A change to a user: null fields stay as they are; a profile replaces the whole profile object.</summary>
public sealed record UserChanges(
    string? Email, string? DisplayName, string? Locale, string? TimeZone, string[]? Roles, JsonElement? Profile, string? ExternalSubject);

/// <summary>The optional filters of a user listing; null means "any".</summary>
public sealed record UserFilter(Guid? After, string? Role, string? Profile, string? Email, string? Text = null);

/// <summary>How a write on a user ended; the edge turns each outcome other than Done into a problem detail.</summary>
public enum UserOutcome
{
    Done,
    NotFound,

    /// <summary>The user is someone else and the actor is not an admin.</summary>
    NotYours,

    /// <summary>
    /// Roles, the email or the external subject were to change and the actor is not an admin. The email is an admin's
    /// because nothing verifies it: a user changing their own could claim an address (and learn whether another account
    /// holds it) that the token verb then trusts.
    /// </summary>
    AdminOnlyFields,
    PreconditionRequired,
    PreconditionFailed,

    /// <summary>Another user already has this email or external subject (<see cref="UserWrite.DuplicateField"/>).</summary>
    Duplicate,
}

/// <summary>
/// The result of a write: the user as written (Done), the row's current version (PreconditionFailed), the field
/// another user already holds (Duplicate), the erased user's subject (erasure).
/// </summary>
public sealed record UserWrite(UserOutcome Outcome, UserRecord? User = null, uint? CurrentVersion = null, string? DuplicateField = null, string? Subject = null);

/// <summary>Everything the system holds about a user, read in one snapshot.</summary>
public sealed record UserExport(UserOutcome Outcome, UserRecord? User = null, IReadOnlyDictionary<string, object?>? Sections = null);

/// <summary>
/// Users and their profiles. Each operation checks the rules it owns (a user manages their own row; an admin manages
/// every row) and row-level security enforces the same rules again.
/// </summary>
public static class UserStore
{
    const string Columns =
        "id, external_subject, email, display_name, locale, time_zone, roles, profile, created_at, updated_at, xmin";

    const string ById = $"SELECT {Columns} FROM hephaestus.users WHERE id = $1";

    const string VersionById = "SELECT xmin FROM hephaestus.users WHERE id = $1";

    /// <summary>
    /// Keyset page in id order (UUIDv7, so creation order). The optional filters are written so that one plan serves
    /// all combinations; the profile filter is containment, answered by the GIN (jsonb_path_ops) index. A text search
    /// (<see cref="UserFilter.Text"/>: part of the display name or email) is its own statement, so its plan can use the
    /// trigram index ix_users_search.
    /// </summary>
    static string Listing(bool search) => $"""
        SELECT {Columns} FROM hephaestus.users
        WHERE ($1::uuid IS NULL OR id > $1)
          AND ($2::text IS NULL OR $2 = ANY (roles))
          AND ($3::jsonb IS NULL OR profile @> $3::jsonb)
          AND ($4::text IS NULL OR lower(email) = lower($4))
          {(search ? "AND (lower(display_name) || ' ' || lower(email)) LIKE $6" : "")}
        ORDER BY id
        LIMIT $5
        """;

    const string Insert = $"""
        INSERT INTO hephaestus.users (id, external_subject, email, display_name, locale, time_zone, roles, profile)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
        RETURNING {Columns}
        """;

    /// <summary>Compare-and-set on xmin: the write happens only if nobody changed the row since the client read it.</summary>
    const string Update = $"""
        UPDATE hephaestus.users SET
            email = coalesce($3, email),
            display_name = coalesce($4, display_name),
            locale = coalesce($5, locale),
            time_zone = coalesce($6, time_zone),
            roles = coalesce($7, roles),
            profile = coalesce($8::jsonb, profile),
            external_subject = coalesce($9, external_subject)
        WHERE id = $1 AND xmin = $2
        RETURNING {Columns}
        """;

    const string Delete = "DELETE FROM hephaestus.users WHERE id = $1 AND ($2::xid IS NULL OR xmin = $2) RETURNING external_subject";

    /// <summary>The user listing accepts pages larger than <see cref="Paging.MaxSize"/>, as it always has: admins read whole rosters.</summary>
    public const int MaxPageSize = 500;

    static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    static UserRecord Read(NpgsqlDataReader reader) => new(
        reader.GetGuid(0),
        reader.GetString(1),
        reader.GetString(2),
        reader.GetString(3),
        reader.GetString(4),
        reader.GetString(5),
        reader.GetFieldValue<string[]>(6),
        reader.GetJson(7),
        reader.GetTime(8),
        reader.GetTime(9),
        reader.GetFieldValue<uint>(10));

    /// <summary>The hot read: actor and query in one batch, one round trip, one implicit transaction.</summary>
    public static async Task<UserRecord?> GetAsync(NpgsqlDataSource db, Actor actor, Guid id, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(db);
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { ActorSession.BatchCommand(actor), new NpgsqlBatchCommand(ById) { Parameters = { SqlParameters.Uuid(id) } } },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        return await reader.ReadAsync(ct) ? Read(reader) : null;
    }

    /// <summary>
    /// Row-level security narrows the page to what the actor may see: all users for an admin, the learners of their
    /// cohorts (and themselves) for an educator, their own row for anyone else.
    /// </summary>
    public static async Task<Page<UserRecord>> ListAsync(NpgsqlDataSource db, Actor actor, UserFilter filter, int size, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(Listing(filter.Text is not null));
        command.Parameters.Add(SqlParameters.NullableUuid(filter.After));
        command.Parameters.Add(SqlParameters.Text(filter.Role));
        command.Parameters.Add(SqlParameters.Text(filter.Profile));
        command.Parameters.Add(SqlParameters.Text(filter.Email));
        command.Parameters.Add(SqlParameters.Int(Paging.Fetch(size)));
        if (filter.Text is { } text) command.Parameters.Add(SqlParameters.Substring(text));
        var rows = new List<UserRecord>(Math.Min(size, 64));
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add(Read(reader));
        }

        await scope.CommitAsync(ct);
        return Paging.TrimById(rows, size, u => u.Id);
    }

    /// <summary>Creates a user (the edge lets only admins call it); Duplicate when the email or subject is taken.</summary>
    public static async Task<UserWrite> CreateAsync(NpgsqlDataSource db, Actor actor, NewUser user, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(user);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(Insert);
        command.Parameters.Add(SqlParameters.Uuid(Guid.CreateVersion7()));
        command.Parameters.Add(SqlParameters.Text(user.ExternalSubject));
        command.Parameters.Add(SqlParameters.Text(user.Email));
        command.Parameters.Add(SqlParameters.Text(user.DisplayName));
        command.Parameters.Add(SqlParameters.Text(user.Locale ?? "en"));
        command.Parameters.Add(SqlParameters.Text(user.TimeZone ?? "UTC"));
        command.Parameters.Add(SqlParameters.TextArray(user.Roles ?? [Role.Learner]));
        command.Parameters.Add(SqlParameters.Jsonb(user.Profile ?? EmptyObject));
        try
        {
            UserRecord created;
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                created = Read(reader);
            }

            await scope.CommitAsync(ct);
            return new UserWrite(UserOutcome.Done, created);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Duplicate(e);
        }
    }

    /// <summary>
    /// Changes a user if the actor may (their own row, or any row for an admin; roles, email and subject for admins only)
    /// and nobody changed the row since <paramref name="expected"/> was read. The checks follow existence, so a row
    /// the actor cannot see is not found rather than forbidden.
    /// </summary>
    public static async Task<UserWrite> UpdateAsync(
        NpgsqlDataSource db, Actor actor, Guid id, UserChanges changes, uint? expected, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(changes);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var current = await CurrentVersionAsync(scope, id, ct);
        if (current is null) return new UserWrite(UserOutcome.NotFound);
        if (actor.UserId != id && !actor.Has(Role.Admin)) return new UserWrite(UserOutcome.NotYours);
        if ((changes.Roles is not null || changes.Email is not null || changes.ExternalSubject is not null) && !actor.Has(Role.Admin))
        {
            return new UserWrite(UserOutcome.AdminOnlyFields);
        }

        if (expected is null) return new UserWrite(UserOutcome.PreconditionRequired);

        await using var command = scope.Command(Update);
        command.Parameters.Add(SqlParameters.Uuid(id));
        command.Parameters.Add(SqlParameters.Xid(expected));
        command.Parameters.Add(SqlParameters.Text(changes.Email));
        command.Parameters.Add(SqlParameters.Text(changes.DisplayName));
        command.Parameters.Add(SqlParameters.Text(changes.Locale));
        command.Parameters.Add(SqlParameters.Text(changes.TimeZone));
        command.Parameters.Add(SqlParameters.TextArray(changes.Roles));
        command.Parameters.Add(SqlParameters.Jsonb(changes.Profile));
        command.Parameters.Add(SqlParameters.Text(changes.ExternalSubject));
        try
        {
            UserRecord? user = null;
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct)) user = Read(reader);
            }

            if (user is null) return new UserWrite(UserOutcome.PreconditionFailed, CurrentVersion: current);
            await scope.CommitAsync(ct);
            return new UserWrite(UserOutcome.Done, user);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Duplicate(e);
        }
    }

    /// <summary>
    /// Erasure: the user row and, by ON DELETE CASCADE, every learner-owned row; in the records the user made about
    /// others (ratings given, overrides made, item versions written), which stay as those people's records, their id
    /// becomes NULL by ON DELETE SET NULL ("a user since erased"; Sql/0010_erasure_of_authorship.sql). Both run as the
    /// tables' owner, so the append-only tables stay closed to the application. <paramref name="expected"/> is honoured
    /// when given; erasure is a request to forget, so a stale read does not block it.
    /// </summary>
    public static async Task<UserWrite> EraseAsync(NpgsqlDataSource db, Actor actor, Guid id, uint? expected, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var current = await CurrentVersionAsync(scope, id, ct);
        if (current is null) return new UserWrite(UserOutcome.NotFound);
        if (actor.UserId != id && !actor.Has(Role.Admin)) return new UserWrite(UserOutcome.NotYours);

        await using var command = scope.Command(Delete);
        command.Parameters.Add(SqlParameters.Uuid(id));
        command.Parameters.Add(SqlParameters.Xid(expected));
        var subject = (string?)await command.ExecuteScalarAsync(ct);
        if (subject is null) return new UserWrite(UserOutcome.PreconditionFailed, CurrentVersion: current);
        await scope.CommitAsync(ct);
        return new UserWrite(UserOutcome.Done, Subject: subject);
    }

    /// <summary>The user and every personal data section, for the user themselves or an admin.</summary>
    public static async Task<UserExport> ExportAsync(
        NpgsqlDataSource db, Actor actor, Guid id, IEnumerable<IPersonalDataSection> sections, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(sections);
        // REPEATABLE READ: every section sees the same instant, so the export is internally consistent.
        await using var scope = await ActorScope.BeginAsync(db, actor, ct, IsolationLevel.RepeatableRead);
        UserRecord? user = null;
        await using (var command = scope.Command(ById))
        {
            command.Parameters.Add(SqlParameters.Uuid(id));
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct)) user = Read(reader);
        }

        if (user is null) return new UserExport(UserOutcome.NotFound);
        if (actor.UserId != id && !actor.Has(Role.Admin)) return new UserExport(UserOutcome.NotYours);

        var parts = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var section in sections) parts[section.Name] = await section.ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return new UserExport(UserOutcome.Done, user, parts);
    }

    static async Task<uint?> CurrentVersionAsync(ActorScope scope, Guid id, CancellationToken ct)
    {
        await using var command = scope.Command(VersionById);
        command.Parameters.Add(SqlParameters.Uuid(id));
        return await command.ExecuteScalarAsync(ct) is uint version ? version : null;
    }

    // The unique indexes live on user_identities (Sql/0033_citus_ready.sql) and kept these names for this mapping.
    static UserWrite Duplicate(PostgresException e)
    {
        var field = e.ConstraintName switch
        {
            "ux_users_email_lower" => "email",
            "ix_users_external_subject" => "externalSubject",
            _ => e.ConstraintName ?? "unknown",
        };
        return new UserWrite(UserOutcome.Duplicate, DuplicateField: field);
    }
}
