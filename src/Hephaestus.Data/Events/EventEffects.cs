using Hephaestus.Data.Learning;

namespace Hephaestus.Data.Events;

/// <summary>
/// What stored events cause beyond themselves (evidence, content steps), applied in the transaction that stored them, so
/// each stored event has its effect exactly once: a duplicate is never stored, a rolled-back batch causes nothing.
/// Effects on learner state go through <see cref="LearnerRecord"/>. Filled by the evidence-from-events work (issue 11,
/// part 5); until then an event causes nothing.
/// </summary>
public static class EventEffects
{
    public static Task ApplyAsync(ActorScope scope, LearnerRecord learning, IReadOnlyList<StoredEvent> stored, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(learning);
        ArgumentNullException.ThrowIfNull(stored);
        return ct.IsCancellationRequested ? Task.FromCanceled(ct) : Task.CompletedTask;
    }
}
