using Hephaestus.Data;
using Hephaestus.Domain.Identity;
using Hephaestus.Server.Api;
using Hephaestus.Server.Auth;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Hephaestus.Server.Features.Users;

public sealed record PersonalDataExportResponse(DateTimeOffset ExportedAt, UserResponse User, IReadOnlyDictionary<string, object?> Sections);

public static class PersonalDataExport
{
    internal static async Task<Results<Ok<PersonalDataExportResponse>, ProblemHttpResult>> Export(
        Guid id, HttpContext http, NpgsqlDataSource db, IEnumerable<IPersonalDataSection> sections, CancellationToken ct)
    {
        var actor = http.RequireActor();
        // REPEATABLE READ: every section sees the same instant, so the export is internally consistent.
        await using var scope = await ActorScope.BeginAsync(db, actor, ct, System.Data.IsolationLevel.RepeatableRead);
        UserResponse? user = null;
        await using (var command = scope.Command(UserQueries.ById))
        {
            command.Parameters.Add(UserQueries.Id(id));
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (await reader.ReadAsync(ct)) user = UserQueries.Read(reader, out _);
        }

        if (user is null) return Problems.NotFound("user", id);
        if (actor.UserId != id && !actor.Has(Role.Admin)) return Problems.Forbidden("Only the user themselves or an admin may export a user's data.");

        var parts = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var section in sections) parts[section.Name] = await section.ReadAsync(scope, id, ct);
        await scope.CommitAsync(ct);
        return TypedResults.Ok(new PersonalDataExportResponse(DateTimeOffset.UtcNow, user, parts));
    }
}
