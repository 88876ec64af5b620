using Hephaestus.Data;

namespace Hephaestus.Server.Features.Mastery;

/// <summary>
/// Where a mastery change reaches learning-path progress, in the same transaction. The enrollments feature's step
/// re-evaluation plugs in here.
/// </summary>
internal static class Progress
{
    public static Task AfterMasteryChangeAsync(ActorScope scope, Guid learnerId, IReadOnlyList<MasteryChange> changes, CancellationToken ct)
    {
        _ = (scope, learnerId, changes, ct);
        return Task.CompletedTask;
    }
}
