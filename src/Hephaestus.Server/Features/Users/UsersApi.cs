using Hephaestus.Data;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Users;

/// <summary>
/// Users and their profiles. The service authorizes each call (admin manages users; a user manages their own row;
/// an educator reads the learners of their cohorts) and row-level security enforces the same rules again.
/// </summary>
public static class UsersApi
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder routes)
    {
        var users = routes.MapGroup("/api/v1/users").WithTags("Users").RequireAuthorization(AuthHosting.ProvisionedPolicy);
        users.MapGet("/me", GetMe).WithName("GetMe");
        users.MapGet("/{id:guid}", Get).WithName("GetUser");
        users.MapGet("/", List).WithName("ListUsers");
        users.MapPost("/", Create).WithName("CreateUser");
        users.MapPatch("/{id:guid}", Update).WithName("UpdateUser");
        users.MapDelete("/{id:guid}", Erase).WithName("EraseUser");
        users.MapGet("/{id:guid}/export", PersonalDataExport.Export).WithName("ExportUser");
        return routes;
    }

    static Task<Results<Ok<UserResponse>, ProblemHttpResult>> GetMe(HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        Get(http.RequireActor().UserId, http, db, ct);

    /// <summary>The hot read: actor and query in one batch, one round trip, one implicit transaction.</summary>
    static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        await using var connection = await db.OpenConnectionAsync(ct);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { ActorSession.BatchCommand(http.RequireActor()), new NpgsqlBatchCommand(UserQueries.ById) { Parameters = { UserQueries.Id(id) } } },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        if (!await reader.ReadAsync(ct)) return Problems.NotFound("user", id);
        var user = UserQueries.Read(reader, out var version);
        http.Response.Headers.ETag = ETags.Format(version);
        return TypedResults.Ok(user);
    }

    static async Task<Results<Ok<Page<UserResponse>>, ValidationProblem>> List(
        HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        Guid? after = null, int? limit = null, string? role = null, string? profile = null, string? email = null)
    {
        var v = new Validation();
        var size = limit ?? DefaultPageSize;
        if (size is < 1 or > MaxPageSize) v.Add("limit", $"must be between 1 and {MaxPageSize}");
        if (role is not null && !Role.All.Contains(role)) v.Add("role", $"'{role}' is not a role; roles are {string.Join(", ", Role.All)}");
        if (profile is not null)
        {
            try
            {
                using var parsed = System.Text.Json.JsonDocument.Parse(profile);
                if (parsed.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object) v.Add("profile", "must be a JSON object to match by containment");
            }
            catch (System.Text.Json.JsonException e)
            {
                v.Add("profile", "must be a JSON object to match by containment: " + e.Message.Split(" Path:", 2)[0]);
            }
        }

        if (!v.IsValid) return v.ToProblem();

        // Row-level security narrows the page to what the actor may see: all users for an admin, the learners of their
        // cohorts (and themselves) for an educator, their own row for anyone else.
        await using var scope = await ActorScope.BeginAsync(db, http.RequireActor(), ct);
        await using var command = scope.Command(UserQueries.Page);
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)after ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid });
        command.Parameters.Add(UserQueries.Text(role));
        command.Parameters.Add(UserQueries.Text(profile));
        command.Parameters.Add(UserQueries.Text(email));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = size + 1 });
        var items = new List<UserResponse>(Math.Min(size, 64));
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct)) items.Add(UserQueries.Read(reader, out _));
        }

        await scope.CommitAsync(ct);
        string? next = null;
        if (items.Count > size)
        {
            items.RemoveAt(size);
            next = items[^1].Id.ToString();
        }

        return TypedResults.Ok(new Page<UserResponse>(items, next));
    }

    static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreateUserRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var actor = http.RequireActor();
        if (!actor.Has(Role.Admin)) return Problems.Forbidden("Only an admin creates users.");
        var v = UserValidation.Create(request);
        if (!v.IsValid) return v.ToProblem();

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        await using var command = scope.Command(UserQueries.Insert);
        command.Parameters.Add(UserQueries.Id(Guid.CreateVersion7()));
        command.Parameters.Add(UserQueries.Text(request.ExternalSubject));
        command.Parameters.Add(UserQueries.Text(request.Email));
        command.Parameters.Add(UserQueries.Text(request.DisplayName));
        command.Parameters.Add(UserQueries.Text(request.Locale ?? "en"));
        command.Parameters.Add(UserQueries.Text(request.TimeZone ?? "UTC"));
        command.Parameters.Add(UserQueries.TextArray(request.Roles ?? [Role.Learner]));
        command.Parameters.Add(UserQueries.Json(request.Profile ?? EmptyObject));
        try
        {
            UserResponse user;
            uint version;
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                await reader.ReadAsync(ct);
                user = UserQueries.Read(reader, out version);
            }

            await scope.CommitAsync(ct);
            http.Response.Headers.ETag = ETags.Format(version);
            return TypedResults.Created($"/api/v1/users/{user.Id}", user);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return DuplicateProblem(e);
        }
    }

    static async Task<Results<Ok<UserResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid id, UpdateUserRequest request, HttpContext http, NpgsqlDataSource db, ActorResolver actors, CancellationToken ct)
    {
        var actor = http.RequireActor();
        var v = UserValidation.Update(request);
        if (!v.IsValid) return v.ToProblem();
        var expected = ETags.Parse(http.Request);

        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var current = await CurrentVersionAsync(scope, id, ct);
        if (current is null) return Problems.NotFound("user", id);
        if (actor.UserId != id && !actor.Has(Role.Admin)) return Problems.Forbidden("You may change only your own profile.");
        if ((request.Roles is not null || request.ExternalSubject is not null) && !actor.Has(Role.Admin))
        {
            return Problems.Forbidden("Only an admin changes roles or the external subject.");
        }

        if (expected is null) return Problems.PreconditionRequired("user");

        await using var command = scope.Command(UserQueries.Update);
        command.Parameters.Add(UserQueries.Id(id));
        command.Parameters.Add(UserQueries.Xid(expected));
        command.Parameters.Add(UserQueries.Text(request.Email));
        command.Parameters.Add(UserQueries.Text(request.DisplayName));
        command.Parameters.Add(UserQueries.Text(request.Locale));
        command.Parameters.Add(UserQueries.Text(request.TimeZone));
        command.Parameters.Add(UserQueries.TextArray(request.Roles));
        command.Parameters.Add(UserQueries.Json(request.Profile));
        command.Parameters.Add(UserQueries.Text(request.ExternalSubject));
        try
        {
            UserResponse? user = null;
            uint version = 0;
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct)) user = UserQueries.Read(reader, out version);
            }

            if (user is null) return Problems.PreconditionFailed("user", ETags.Format(current.Value));
            await scope.CommitAsync(ct);
            actors.Forget(user.ExternalSubject);
            http.Response.Headers.ETag = ETags.Format(version);
            return TypedResults.Ok(user);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return DuplicateProblem(e);
        }
    }

    /// <summary>
    /// Erasure: the user row and, by ON DELETE CASCADE, every learner-owned row. If-Match is honoured when sent;
    /// erasure is a request to forget, so a stale read does not block it.
    /// </summary>
    static async Task<Results<NoContent, ProblemHttpResult>> Erase(Guid id, HttpContext http, NpgsqlDataSource db, ActorResolver actors, CancellationToken ct)
    {
        var actor = http.RequireActor();
        await using var scope = await ActorScope.BeginAsync(db, actor, ct);
        var current = await CurrentVersionAsync(scope, id, ct);
        if (current is null) return Problems.NotFound("user", id);
        if (actor.UserId != id && !actor.Has(Role.Admin)) return Problems.Forbidden("You may erase only your own data.");
        var expected = ETags.Parse(http.Request);

        await using var command = scope.Command(UserQueries.Delete);
        command.Parameters.Add(UserQueries.Id(id));
        command.Parameters.Add(UserQueries.Xid(expected));
        var subject = (string?)await command.ExecuteScalarAsync(ct);
        if (subject is null) return Problems.PreconditionFailed("user", ETags.Format(current.Value));
        await scope.CommitAsync(ct);
        actors.Forget(subject);
        return TypedResults.NoContent();
    }

    internal static async Task<uint?> CurrentVersionAsync(ActorScope scope, Guid id, CancellationToken ct)
    {
        await using var command = scope.Command(UserQueries.VersionById);
        command.Parameters.Add(UserQueries.Id(id));
        return await command.ExecuteScalarAsync(ct) is uint version ? version : null;
    }

    static ProblemHttpResult DuplicateProblem(PostgresException e)
    {
        var field = e.ConstraintName switch
        {
            "ux_users_email_lower" => "email",
            "ix_users_external_subject" => "externalSubject",
            _ => e.ConstraintName ?? "unknown",
        };
        return Problems.Conflict($"Another user already has this {field}.", new Dictionary<string, object?> { ["field"] = field });
    }

    static readonly System.Text.Json.JsonElement EmptyObject = System.Text.Json.JsonDocument.Parse("{}").RootElement.Clone();
}
