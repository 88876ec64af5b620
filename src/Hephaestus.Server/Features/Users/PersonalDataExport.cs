using Hephaestus.Data;
using Hephaestus.Data.Identity;
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
        var export = await UserStore.ExportAsync(db, http.RequireActor(), id, sections, ct);
        return export switch
        {
            { User: { } user, Sections: { } parts } => TypedResults.Ok(new PersonalDataExportResponse(DateTimeOffset.UtcNow, UserResponse.From(user), parts)),
            { Outcome: UserOutcome.NotYours } => Problems.Forbidden("Only the user themselves or an admin may export a user's data."),
            _ => Problems.NotFound("user", id),
        };
    }
}
