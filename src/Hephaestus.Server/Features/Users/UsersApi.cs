using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Identity;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Users;

/// <summary>
/// Users and their profiles. Only an admin creates users (the policy); the rules that depend on the row (a user manages
/// their own row, an admin every row; an educator reads the learners of their cohorts) are the store's and row-level
/// security's.
/// </summary>
public static class UsersApi
{
    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder routes)
    {
        var users = routes.MapGroup("/api/v1/users").WithTags("Users").RequireAuthorization(Policies.Provisioned);
        users.MapGet("/me", GetMe).WithName("GetMe")
            .WithSummary("Read the signed-in user")
            .WithDescription("The caller's own user with profile and roles. Any provisioned user. The ETag header is the user's version, for If-Match on an update.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .ReturnsETag();
        users.MapGet("/{id:guid}", Get).WithName("GetUser")
            .WithSummary("Read a user")
            .WithDescription("A user by id: the user themselves, an admin, or an educator of a cohort the user learns in (otherwise 404). The ETag header is the version for If-Match.")
            .ProducesProblems(StatusCodes.Status404NotFound)
            .ReturnsETag();
        users.MapGet("/", List).WithName("ListUsers")
            .WithSummary("List users")
            .WithDescription("Users visible to the caller (admins all; educators their cohorts' learners; others themselves), keyset paged by `after` and `limit`; filters: `role`, `email`, `q` (name or email text), `profile` (a JSON object the profile contains).");
        users.MapPost("/", Create).WithName("CreateUser").RequireAuthorization(Policies.Admin)
            .WithSummary("Create a user")
            .WithDescription("Provisions a user for a token subject, with roles and a free JSON profile. Admins only. 409 when the external subject or the email is taken (`field` says which).")
            .ProducesProblems(StatusCodes.Status409Conflict)
            .ReturnsETag();
        users.MapPatch("/{id:guid}", Update).WithName("UpdateUser")
            .WithSummary("Update a user")
            .WithDescription("Changes the given fields; a user changes their own profile fields, only an admin roles, email and external subject. Requires If-Match with the ETag read (428 without, 412 when stale).")
            .ProducesProblems(StatusCodes.Status404NotFound, StatusCodes.Status409Conflict)
            .TakesIfMatch(required: true);
        users.MapDelete("/{id:guid}", Erase).WithName("EraseUser").WithSummary("Erase a user and everything about them")
            .WithDescription(EraseDescription)
            .ProducesProblems(StatusCodes.Status404NotFound)
            .TakesIfMatch(required: false);
        users.MapGet("/{id:guid}/export", PersonalDataExport.Export).WithName("ExportUser").WithSummary("Everything stored about a user")
            .WithDescription("The user and every personal data section: their learning record (mastery, evidence, attempts with the item "
                + "versions drawn, responses, results with per-item scores, the stored responses of idempotent submissions, rubric "
                + "assessments, enrollments with their overrides, learning events), their cohort memberships, and what they wrote about others: the "
                + "rubric assessments they gave and the overrides they made (with the learner ids), and the item versions they wrote. "
                + "For the user themselves or an admin.")
            .ProducesProblems(StatusCodes.Status404NotFound);
        return routes;
    }

    /// <summary>The erasure rule, as the API reference states it (docs/operations.md says the same).</summary>
    const string EraseDescription =
        "For the user themselves or an admin; If-Match is honoured when sent. Removes the user and every record about them as a "
        + "learner: profile, cohort memberships, attempts, responses, results, evidence, mastery, enrollments with their "
        + "overrides, rubric assessments of them, stored submission responses, learning events. Records the user made about other people stay, "
        + "because they are those people's records (a rating or an override and its reason are part of the learner's history) "
        + "or the catalog's (an item version): the erased user's id in them becomes null, meaning \"a user since erased\" "
        + "(assessorId null; actorId null with actorErased true; an item version's author unknown). No id that named the erased "
        + "user remains anywhere.";

    static Task<Results<Ok<UserResponse>, ProblemHttpResult>> GetMe(HttpContext http, NpgsqlDataSource db, CancellationToken ct) =>
        Get(http.RequireActor().UserId, http, db, ct);

    static async Task<Results<Ok<UserResponse>, ProblemHttpResult>> Get(Guid id, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var user = await UserStore.GetAsync(db, http.RequireActor(), id, ct);
        if (user is null) return Problems.NotFound("user", id);
        http.Response.Headers.ETag = ETags.Format(user.Version);
        return TypedResults.Ok(UserResponse.From(user));
    }

    static async Task<Results<Ok<Page<UserResponse>>, ValidationProblem>> List(
        HttpContext http, NpgsqlDataSource db, CancellationToken ct,
        Guid? after = null, int? limit = null, string? role = null, string? profile = null, string? email = null, string? q = null)
    {
        var v = new Validation().Text("q", q, 1, 200, required: false);
        var size = v.PageSize(limit, UserStore.MaxPageSize);
        if (role is not null && !Role.All.Contains(role)) v.Add("role", $"'{role}' is not a role; roles are {string.Join(", ", Role.All)}");
        if (profile is not null)
        {
            try
            {
                using var parsed = JsonDocument.Parse(profile);
                if (parsed.RootElement.ValueKind != JsonValueKind.Object) v.Add("profile", "must be a JSON object to match by containment");
            }
            catch (JsonException e)
            {
                v.Add("profile", "must be a JSON object to match by containment: " + e.Message.Split(" Path:", 2)[0]);
            }
        }

        if (!v.IsValid) return v.ToProblem();

        var page = await UserStore.ListAsync(db, http.RequireActor(), new UserFilter(after, role, profile, email, q), size, ct);
        return TypedResults.Ok(new Page<UserResponse>(page.Items.Select(UserResponse.From).ToList(), page.Next));
    }

    static async Task<Results<Created<UserResponse>, ValidationProblem, ProblemHttpResult>> Create(
        CreateUserRequest request, HttpContext http, NpgsqlDataSource db, CancellationToken ct)
    {
        var v = UserValidation.Create(request);
        if (!v.IsValid) return v.ToProblem();

        var written = await UserStore.CreateAsync(db, http.RequireActor(), new NewUser(
            request.ExternalSubject, request.Email, request.DisplayName, request.Locale, request.TimeZone, request.Roles, request.Profile), ct);
        if (written.User is not { } user) return DuplicateProblem(written.DuplicateField);
        http.Response.Headers.ETag = ETags.Format(user.Version);
        return TypedResults.Created($"/api/v1/users/{user.Id}", UserResponse.From(user));
    }

    static async Task<Results<Ok<UserResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid id, UpdateUserRequest request, HttpContext http, NpgsqlDataSource db, ActorResolver actors, CancellationToken ct)
    {
        var v = UserValidation.Update(request);
        if (!v.IsValid) return v.ToProblem();

        var written = await UserStore.UpdateAsync(db, http.RequireActor(), id, new UserChanges(
            request.Email, request.DisplayName, request.Locale, request.TimeZone, request.Roles, request.Profile, request.ExternalSubject),
            ETags.Parse(http.Request), ct);
        if (written.User is not { } user) return WriteProblem(written, id, "You may change only your own profile.");
        actors.Forget(user.ExternalSubject);
        http.Response.Headers.ETag = ETags.Format(user.Version);
        return TypedResults.Ok(UserResponse.From(user));
    }

    static async Task<Results<NoContent, ProblemHttpResult>> Erase(Guid id, HttpContext http, NpgsqlDataSource db, ActorResolver actors, CancellationToken ct)
    {
        var erased = await UserStore.EraseAsync(db, http.RequireActor(), id, ETags.Parse(http.Request), ct);
        if (erased.Subject is not { } subject) return WriteProblem(erased, id, "You may erase only your own data.");
        actors.Forget(subject);
        return TypedResults.NoContent();
    }

    /// <summary>The problem detail of a write that did not happen; <paramref name="notYours"/> says why someone else's row is refused.</summary>
    static ProblemHttpResult WriteProblem(UserWrite write, Guid id, string notYours) => write.Outcome switch
    {
        UserOutcome.NotFound => Problems.NotFound("user", id),
        UserOutcome.NotYours => Problems.Forbidden(notYours),
        UserOutcome.AdminOnlyFields => Problems.Forbidden("Only an admin changes roles, the email or the external subject (emails are not verified)."),
        UserOutcome.PreconditionRequired => Problems.PreconditionRequired("user"),
        UserOutcome.PreconditionFailed => Problems.PreconditionFailed("user", ETags.Format(write.CurrentVersion!.Value)),
        UserOutcome.Duplicate => DuplicateProblem(write.DuplicateField),
        _ => throw new InvalidOperationException($"a {write.Outcome} write has no problem"),
    };

    static ProblemHttpResult DuplicateProblem(string? field) =>
        Problems.Conflict($"Another user already has this {field}.", new Dictionary<string, object?> { ["field"] = field });
}
