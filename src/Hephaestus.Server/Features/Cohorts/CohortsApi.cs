using Hephaestus.Data;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Hephaestus.Server.Features.Users;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Server.Features.Cohorts;

public sealed record CohortResponse(Guid Id, string Name, string? Description, DateTimeOffset CreatedAt, IReadOnlyList<CohortMemberResponse> Members);
public sealed record CohortMemberResponse(Guid UserId, string DisplayName, string Role, DateTimeOffset AddedAt);
public sealed record CreateCohortRequest(string Name, string? Description = null);
public sealed record UpdateCohortRequest(string? Name = null, string? Description = null);
public sealed record PutMemberRequest(string Role);

/// <summary>
/// Cohorts tie educators to learners; an admin manages them. Everyone reads the cohorts they belong to (learners see
/// their own membership; educators the whole roster), as row-level security decides.
/// </summary>
public static class CohortsApi
{
    const string Columns = "c.id, c.name, c.description, c.created_at, c.xmin";

    public static IEndpointRouteBuilder MapCohorts(this IEndpointRouteBuilder routes)
    {
        var cohorts = routes.MapGroup("/api/v1/cohorts").WithTags("Cohorts").RequireAuthorization(AuthHosting.ProvisionedPolicy);
        cohorts.MapGet("/", List).WithName("ListCohorts");
        cohorts.MapGet("/{id:guid}", Get).WithName("GetCohort");
        cohorts.MapPost("/", Create).WithName("CreateCohort");
        cohorts.MapPatch("/{id:guid}", Update).WithName("UpdateCohort");
        cohorts.MapDelete("/{id:guid}", Delete).WithName("DeleteCohort");
        cohorts.MapPut("/{id:guid}/members/{userId:guid}", PutMember).WithName("PutCohortMember");
        cohorts.MapDelete("/{id:guid}/members/{userId:guid}", DeleteMember).WithName("DeleteCohortMember");
        return routes;
    }

    static async Task<Results<Ok<Page<CohortResponse>>, ValidationProblem>> List(
        HttpContext http, NpgsqlDataSource db, CancellationToken ct, Guid? after = null, int? limit = null)
    {
        var size = limit ?? UsersApi.DefaultPageSize;
        if (size is < 1 or > UsersApi.MaxPageSize) return new Validation().Add("limit", $"must be between 1 and {UsersApi.MaxPageSize}").ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        await using var command = scope.Command($"SELECT {Columns} FROM hephaestus.cohorts c WHERE ($1::uuid IS NULL OR c.id > $1) ORDER BY c.id LIMIT $2");
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Uuid });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = size + 1 });
        var items = new List<CohortResponse>();
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) items.Add(new CohortResponse(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), []));
        }

        await scope.CommitAsync(ct);
        string? next = null;
        if (items.Count > size)
        {
            items.RemoveAt(size);
            next = items[^1].Id.ToString();
        }

        return TypedResults.Ok(new Page<CohortResponse>(items, next));
    }

    static async Task<Results<Ok<CohortResponse>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        var (cohort, version) = await ReadAsync(scope, id, ct);
        if (cohort is null) return Problems.NotFound("cohort", id);
        await scope.CommitAsync(ct);
        http.Response.Headers.ETag = ETags.Format(version);
        return TypedResults.Ok(cohort);
    }

    static async Task<(CohortResponse? Cohort, uint Version)> ReadAsync(ActorScope scope, Guid id, CancellationToken ct)
    {
        await using var command = scope.Command($"""
            SELECT {Columns}, m.user_id, u.display_name, m.member_role, m.added_at
            FROM hephaestus.cohorts c
            LEFT JOIN hephaestus.cohort_members m ON m.cohort_id = c.id
            LEFT JOIN hephaestus.users u ON u.id = m.user_id
            WHERE c.id = $1
            ORDER BY m.member_role, u.display_name
            """);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        await using var reader = await command.ExecuteReaderAsync(ct);
        CohortResponse? cohort = null;
        uint version = 0;
        var members = new List<CohortMemberResponse>();
        while (await reader.ReadAsync(ct))
        {
            if (cohort is null)
            {
                cohort = new CohortResponse(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), members);
                version = reader.GetFieldValue<uint>(4);
            }

            // A member row whose user the actor cannot see (RLS) comes back with a null name; it is not listed.
            if (!reader.IsDBNull(5) && !reader.IsDBNull(6))
            {
                members.Add(new CohortMemberResponse(reader.GetGuid(5), reader.GetString(6), reader.GetString(7), reader.GetFieldValue<DateTimeOffset>(8)));
            }
        }

        return (cohort, version);
    }

    static async Task<Results<Created<CohortResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreateCohortRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!actor.Has(Role.Admin)) return Problems.Forbidden("Only an admin creates cohorts.");
        var v = new Validation().Text("name", request.Name, 1, 200).Text("description", request.Description, 0, 2000, required: false);
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(
            "INSERT INTO hephaestus.cohorts (id, name, description) VALUES ($1, $2, $3) RETURNING id, name, description, created_at, xmin");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = Guid.CreateVersion7() });
        command.Parameters.Add(UserQueries.Text(request.Name));
        command.Parameters.Add(UserQueries.Text(request.Description));
        CohortResponse cohort;
        uint version;
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            cohort = new CohortResponse(reader.GetGuid(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), []);
            version = reader.GetFieldValue<uint>(4);
        }

        await scope.CommitAsync(ct);
        http.Response.Headers.ETag = ETags.Format(version);
        return TypedResults.Created($"/api/v1/cohorts/{cohort.Id}", cohort);
    }

    static async Task<Results<Ok<CohortResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid id, UpdateCohortRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        var v = new Validation().Text("name", request.Name, 1, 200, required: false).Text("description", request.Description, 0, 2000, required: false);
        if (!v.IsValid) return v.ToProblem();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var (existing, current) = await ReadAsync(scope, id, ct);
        if (existing is null) return Problems.NotFound("cohort", id);
        if (!actor.Has(Role.Admin)) return Problems.Forbidden("Only an admin changes cohorts.");
        var expected = ETags.Parse(http.Request);
        if (expected is null) return Problems.PreconditionRequired("cohort");
        await using (var command = scope.Command(
            "UPDATE hephaestus.cohorts SET name = coalesce($3, name), description = coalesce($4, description) WHERE id = $1 AND xmin = $2"))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            command.Parameters.Add(UserQueries.Xid(expected));
            command.Parameters.Add(UserQueries.Text(request.Name));
            command.Parameters.Add(UserQueries.Text(request.Description));
            if (await command.ExecuteNonQueryAsync(ct) == 0) return Problems.PreconditionFailed("cohort", ETags.Format(current));
        }

        var (cohort, version) = await ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        http.Response.Headers.ETag = ETags.Format(version);
        return TypedResults.Ok(cohort!);
    }

    static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var (existing, _) = await ReadAsync(scope, id, ct);
        if (existing is null) return Problems.NotFound("cohort", id);
        if (!actor.Has(Role.Admin)) return Problems.Forbidden("Only an admin deletes cohorts.");
        await using var command = scope.Command("DELETE FROM hephaestus.cohorts WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        await command.ExecuteNonQueryAsync(ct);
        await scope.CommitAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>Adds a member or changes their role in the cohort; repeating it changes nothing (idempotent PUT).</summary>
    static async Task<Results<Ok<CohortMemberResponse>, ValidationProblem, ProblemHttpResult>> PutMember(
        Guid id, Guid userId, PutMemberRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (request.Role is not (Role.Educator or Role.Learner))
        {
            return new Validation().Add("role", "must be 'educator' or 'learner'").ToProblem();
        }

        if (!actor.Has(Role.Admin)) return Problems.Forbidden("Only an admin manages cohort members.");
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        // The user row is locked so that a concurrent role change cannot slip between the check and the insert.
        await using (var check = scope.Command(
            "SELECT u.roles, EXISTS (SELECT 1 FROM hephaestus.cohorts WHERE id = $2) FROM hephaestus.users u WHERE u.id = $1 FOR SHARE"))
        {
            check.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = userId });
            check.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
            await using var reader = await check.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return Problems.NotFound("user", userId);
            var roles = reader.GetFieldValue<string[]>(0);
            if (!reader.GetBoolean(1)) return Problems.NotFound("cohort", id);
            if (!roles.Contains(request.Role))
            {
                return new Validation().Add("role", $"the user does not have the role '{request.Role}' (their roles: {string.Join(", ", roles)})").ToProblem();
            }
        }

        await using var upsert = scope.Command("""
            INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, $3)
            ON CONFLICT (cohort_id, user_id) DO UPDATE SET member_role = excluded.member_role
            RETURNING member_role, added_at, (SELECT display_name FROM hephaestus.users WHERE id = $2)
            """);
        upsert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        upsert.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = userId });
        upsert.Parameters.Add(UserQueries.Text(request.Role));
        CohortMemberResponse member;
        await using (var reader = await upsert.ExecuteReaderAsync(ct))
        {
            await reader.ReadAsync(ct);
            member = new CohortMemberResponse(userId, reader.GetString(2), reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1));
        }

        await scope.CommitAsync(ct);
        return TypedResults.Ok(member);
    }

    static async Task<Results<NoContent, ProblemHttpResult>> DeleteMember(Guid id, Guid userId, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!actor.Has(Role.Admin)) return Problems.Forbidden("Only an admin manages cohort members.");
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command("DELETE FROM hephaestus.cohort_members WHERE cohort_id = $1 AND user_id = $2");
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = userId });
        if (await command.ExecuteNonQueryAsync(ct) == 0) return Problems.NotFound("cohort membership", userId);
        await scope.CommitAsync(ct);
        return TypedResults.NoContent();
    }
}
