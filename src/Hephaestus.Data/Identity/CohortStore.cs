using Npgsql;

namespace Hephaestus.Data.Identity;

/// <summary>A cohort as read, with its version (xmin), which the edge sends as the ETag; its members are a list of their own.</summary>
public sealed record CohortRecord(Guid Id, string Name, string? Description, DateTimeOffset CreatedAt, uint Version);

public sealed record CohortMemberRecord(Guid UserId, string DisplayName, string Role, DateTimeOffset AddedAt);

/// <summary>How a cohort write ended; the edge turns each outcome other than Done into a problem detail.</summary>
public enum CohortOutcome
{
    Done,
    NotFound,
    PreconditionRequired,
    PreconditionFailed,

    /// <summary>The user to add is not visible or does not exist.</summary>
    UserNotFound,

    /// <summary>The user does not hold the role they were to have in the cohort (<see cref="CohortWrite.UserRoles"/>).</summary>
    UserLacksRole,
}

/// <summary>
/// The result of a write: the cohort as written (Done), its current version (PreconditionFailed), the member as added
/// (Done, for memberships), the user's roles (UserLacksRole).
/// </summary>
public sealed record CohortWrite(
    CohortOutcome Outcome, CohortRecord? Cohort = null, uint? CurrentVersion = null, CohortMemberRecord? Member = null, string[]? UserRoles = null);

/// <summary>
/// Cohorts tie educators to learners; the edge lets only admins change them. Everyone reads the cohorts they belong to
/// (learners see their own membership; educators the whole roster), as row-level security decides.
/// </summary>
public static class CohortStore
{
    const string Columns = "c.id, c.name, c.description, c.created_at, c.xmin";

    const string Listing = $"SELECT {Columns} FROM hephaestus.cohorts c WHERE ($1::uuid IS NULL OR c.id > $1) ORDER BY c.id LIMIT $2";

    const string Single = $"SELECT {Columns} FROM hephaestus.cohorts c WHERE c.id = $1";

    /// <summary>
    /// A page of members by user id (keyset), with whether the cohort is visible at all (a cohort without visible members
    /// is an empty page; one the actor cannot see is null). A member whose user the actor cannot see (RLS) is not listed.
    /// </summary>
    const string MemberPage = """
        SELECT m.user_id, u.display_name, m.member_role, m.added_at
        FROM hephaestus.cohort_members m JOIN hephaestus.users u ON u.id = m.user_id
        WHERE m.cohort_id = $1 AND ($2::uuid IS NULL OR m.user_id > $2)
        ORDER BY m.user_id LIMIT $3
        """;

    const string Insert = "INSERT INTO hephaestus.cohorts (id, name, description) VALUES ($1, $2, $3) RETURNING id, name, description, created_at, xmin";

    const string Update = "UPDATE hephaestus.cohorts SET name = coalesce($3, name), description = coalesce($4, description) WHERE id = $1 AND xmin = $2";

    const string Delete = "DELETE FROM hephaestus.cohorts WHERE id = $1";

    /// <summary>The user row is locked so that a concurrent role change cannot slip between the check and the insert.</summary>
    const string LockMemberUser =
        "SELECT u.roles, EXISTS (SELECT 1 FROM hephaestus.cohorts WHERE id = $2) FROM hephaestus.users u WHERE u.id = $1 FOR SHARE";

    const string UpsertMember = """
        INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, $3)
        ON CONFLICT (cohort_id, user_id) DO UPDATE SET member_role = excluded.member_role
        RETURNING member_role, added_at, (SELECT display_name FROM hephaestus.users WHERE id = $2)
        """;

    const string DeleteMember = "DELETE FROM hephaestus.cohort_members WHERE cohort_id = $1 AND user_id = $2";

    /// <summary>The cohort listing accepts pages up to 500, as it always has (more than <see cref="Paging.MaxSize"/>).</summary>
    public const int MaxPageSize = 500;

    static CohortRecord ReadCohort(NpgsqlDataReader reader) =>
        new(reader.GetGuid(0), reader.GetString(1), reader.GetNullableString(2), reader.GetTime(3), reader.GetFieldValue<uint>(4));

    public static async Task<Page<CohortRecord>> ListAsync(NpgsqlDataSource db, Actor actor, Guid? after, int size, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(Listing);
        command.Parameters.Add(SqlParameters.NullableUuid(after));
        command.Parameters.Add(SqlParameters.Int(Paging.Fetch(size)));
        var rows = new List<CohortRecord>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add(ReadCohort(reader));
        }

        await scope.CommitAsync(ct);
        return Paging.TrimById(rows, size, c => c.Id);
    }

    public static async Task<CohortRecord?> GetAsync(NpgsqlDataSource db, Actor actor, Guid id, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var cohort = await ReadAsync(scope, id, ct);
        if (cohort is null) return null;
        await scope.CommitAsync(ct);
        return cohort;
    }

    static async Task<CohortRecord?> ReadAsync(ActorScope scope, Guid id, CancellationToken ct)
    {
        await using var command = scope.Command(Single);
        command.Parameters.Add(SqlParameters.Uuid(id));
        await using var reader = await command.ExecuteReaderAsync(ct);
        return await reader.ReadAsync(ct) ? ReadCohort(reader) : null;
    }

    /// <summary>The members the actor may see, a page at a time by user id; null when the cohort is not visible.</summary>
    public static async Task<Page<CohortMemberRecord>?> ListMembersAsync(NpgsqlDataSource db, Actor actor, Guid id, Guid? after, int size, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (await ReadAsync(scope, id, ct) is null) return null;
        await using var command = scope.Command(MemberPage);
        command.Parameters.Add(SqlParameters.Uuid(id));
        command.Parameters.Add(SqlParameters.NullableUuid(after));
        command.Parameters.Add(SqlParameters.Int(Paging.Fetch(size)));
        var rows = new List<CohortMemberRecord>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) rows.Add(new CohortMemberRecord(reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetTime(3)));
        }

        await scope.CommitAsync(ct);
        return Paging.TrimById(rows, size, m => m.UserId);
    }

    public static async Task<CohortRecord> CreateAsync(NpgsqlDataSource db, Actor actor, string name, string? description, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(Insert);
        command.Parameters.Add(SqlParameters.Uuid(Guid.CreateVersion7()));
        command.Parameters.Add(SqlParameters.Text(name));
        command.Parameters.Add(SqlParameters.Text(description));
        CohortRecord cohort;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            cohort = ReadCohort(reader);
        }

        await scope.CommitAsync(ct);
        return cohort;
    }

    /// <summary>Renames or redescribes a cohort if nobody changed it since <paramref name="expected"/> was read.</summary>
    public static async Task<CohortWrite> UpdateAsync(
        NpgsqlDataSource db, Actor actor, Guid id, string? name, string? description, uint? expected, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var existing = await ReadAsync(scope, id, ct);
        if (existing is null) return new CohortWrite(CohortOutcome.NotFound);
        if (expected is null) return new CohortWrite(CohortOutcome.PreconditionRequired);
        await using (var command = scope.Command(Update))
        {
            command.Parameters.Add(SqlParameters.Uuid(id));
            command.Parameters.Add(SqlParameters.Xid(expected));
            command.Parameters.Add(SqlParameters.Text(name));
            command.Parameters.Add(SqlParameters.Text(description));
            if (await command.ExecuteNonQueryAsync(ct) == 0) return new CohortWrite(CohortOutcome.PreconditionFailed, CurrentVersion: existing.Version);
        }

        var cohort = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return new CohortWrite(CohortOutcome.Done, cohort);
    }

    /// <summary>Deletes a cohort (its memberships go with it); false when it is not there.</summary>
    public static async Task<bool> DeleteAsync(NpgsqlDataSource db, Actor actor, Guid id, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        if (await ReadAsync(scope, id, ct) is null) return false;
        await using var command = scope.Command(Delete);
        command.Parameters.Add(SqlParameters.Uuid(id));
        await command.ExecuteNonQueryAsync(ct);
        await scope.CommitAsync(ct);
        return true;
    }

    /// <summary>Adds a member or changes their role in the cohort; repeating it changes nothing (idempotent).</summary>
    public static async Task<CohortWrite> PutMemberAsync(
        NpgsqlDataSource db, Actor actor, Guid id, Guid userId, string role, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using (var check = scope.Command(LockMemberUser))
        {
            check.Parameters.Add(SqlParameters.Uuid(userId));
            check.Parameters.Add(SqlParameters.Uuid(id));
            await using var reader = await check.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return new CohortWrite(CohortOutcome.UserNotFound);
            var roles = reader.GetFieldValue<string[]>(0);
            if (!reader.GetBoolean(1)) return new CohortWrite(CohortOutcome.NotFound);
            if (!roles.Contains(role)) return new CohortWrite(CohortOutcome.UserLacksRole, UserRoles: roles);
        }

        await using var upsert = scope.Command(UpsertMember);
        upsert.Parameters.Add(SqlParameters.Uuid(id));
        upsert.Parameters.Add(SqlParameters.Uuid(userId));
        upsert.Parameters.Add(SqlParameters.Text(role));
        CohortMemberRecord member;
        await using (var reader = await upsert.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            member = new CohortMemberRecord(userId, reader.GetString(2), reader.GetString(0), reader.GetTime(1));
        }

        await scope.CommitAsync(ct);
        return new CohortWrite(CohortOutcome.Done, Member: member);
    }

    /// <summary>Removes a member; false when they were not one.</summary>
    public static async Task<bool> DeleteMemberAsync(NpgsqlDataSource db, Actor actor, Guid id, Guid userId, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(DeleteMember);
        command.Parameters.Add(SqlParameters.Uuid(id));
        command.Parameters.Add(SqlParameters.Uuid(userId));
        if (await command.ExecuteNonQueryAsync(ct) == 0) return false;
        await scope.CommitAsync(ct);
        return true;
    }
}
