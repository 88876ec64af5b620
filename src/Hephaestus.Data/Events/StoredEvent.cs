namespace Hephaestus.Data.Events;

/// <summary>
/// An event as the insert stored it (a duplicate is never one), handed to <see cref="EventEffects"/> in the same
/// transaction: what evidence rules need without reading the row again. Result and context are the JSON text as sent.
/// </summary>
public sealed record StoredEvent(Guid LearnerId, DateTimeOffset OccurredAt, Guid Id, string Source, string Verb, string ObjectType, string ObjectId,
    double? ScoreScaled, long? DurationMs, string? Result, string? Context);
