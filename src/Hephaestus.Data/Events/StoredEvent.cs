using System.Text.Json;

namespace Hephaestus.Data.Events;

/// <summary>
/// A row of <c>learning_events</c> as a door stored it (native batch or xAPI statement): what <see cref="EventEffects"/>
/// reads to decide what the event does to the learner's state.
/// </summary>
public sealed record StoredEvent(
    Guid LearnerId,
    DateTimeOffset OccurredAt,
    Guid Id,
    string Source,
    string Verb,
    string ObjectType,
    string ObjectId,
    JsonElement? Result,
    double? ScoreScaled);
