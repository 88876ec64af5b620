namespace Hephaestus.Data.Learning;

/// <summary>Whether the actor may read a learner at all: enrolling, mastery reads and rubric scoring all ask first.</summary>
internal static class LearnerVisibility
{
    /// <summary>Row-level security decides: a learner the actor may not read does not exist for them.</summary>
    public static async Task<bool> IsVisibleAsync(ActorScope scope, Guid learnerId, CancellationToken ct)
    {
        await using var command = scope.Command("SELECT 1 FROM hephaestus.users WHERE id = $1");
        command.Parameters.Add(SqlParameters.Uuid(learnerId));
        return await command.ExecuteScalarAsync(ct) is not null;
    }
}
