using System.Text.Json;
using Hephaestus.Data.Assessments;
using Hephaestus.Domain.Assessments;

namespace Hephaestus.Server.Features.Assessments;

/// <summary>
/// An item or its next version. <c>tags</c> belong to the item: left out on a new version, they stay as they are.
/// <c>stemContentVersionId</c>: the content version the stem came from (a generated item stem), on this version only.
/// </summary>
public sealed record ItemRequest(JsonElement Definition, IReadOnlyList<SkillAlignment> Skills, string? Code = null, IReadOnlyList<string>? Tags = null,
    Guid? StemContentVersionId = null);

/// <summary>An item version. <c>definition</c> holds the answer key: only authors, educators and admins ever see it.</summary>
public sealed record ItemResponseBody(Guid ItemId, string? Code, Guid VersionId, int Version, string Type, JsonElement Definition,
    IReadOnlyList<SkillAlignment> Skills, DateTimeOffset CreatedAt, IReadOnlyList<string> Tags, Guid? StemContentVersionId);

/// <summary>
/// A new assessment. <c>schedule</c>: when attempts may start (availableFrom, availableUntil) and when they are due (dueAt).
/// <c>attemptPolicy</c>: how attempts combine for paths and gradebooks: highest (the default), latest, average or first.
/// </summary>
public sealed record AssessmentRequest(string Title, IReadOnlyList<AssessmentPart> Parts, AssessmentSettings? Settings = null, string? Description = null,
    AssessmentSchedule? Schedule = null, AttemptPolicy? AttemptPolicy = null);

/// <summary>
/// An edit (PATCH, with If-Match): each field sent replaces the stored one; an empty description clears it; a schedule
/// replaces all three dates (a date left out of it is cleared). Changing settings or parts after attempts were made
/// makes the assessment's next version.
/// </summary>
public sealed record AssessmentPatchRequest(string? Title = null, string? Description = null, IReadOnlyList<AssessmentPart>? Parts = null,
    AssessmentSettings? Settings = null, AssessmentSchedule? Schedule = null);

/// <summary>An assessment at its current version; the ETag header carries what If-Match must send back.</summary>
public sealed record AssessmentResponseBody(Guid Id, string Title, string? Description, int Version, AssessmentStatus Status, AssessmentSettings Settings,
    IReadOnlyList<AssessmentPart> Parts, AssessmentSchedule Schedule, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, DateTimeOffset? RetiredAt,
    AttemptPolicy AttemptPolicy);

/// <summary>An attempt as a learner sees it: items in their learner view (no answer key) and the responses saved so far.</summary>
/// <remarks><c>dueAt</c> and <c>late</c> are set at submission: the assessment's due date then, and whether the submission came after it.</remarks>
public sealed record AttemptBody(Guid Id, Guid LearnerId, Guid AssessmentId, int Number, AttemptStatus Status, DateTimeOffset StartedAt,
    DateTimeOffset? DeadlineAt, DateTimeOffset? SubmittedAt, IReadOnlyList<AttemptItem> Items, int AssessmentVersion, DateTimeOffset? DueAt, bool Late);

public sealed record AttemptItem(Guid ItemVersionId, JsonElement Item, JsonElement? Response);

public sealed record SaveResponseRequest(JsonElement Response);

public sealed record SubmitRequest(IReadOnlyDictionary<Guid, JsonElement>? Responses = null);

/// <summary>The outcome of a submission, trimmed to the assessment's feedback setting; <c>late</c> when submitted after <c>dueAt</c> (accepted all the same).</summary>
public sealed record SubmissionResult(Guid AttemptId, Guid ResultId, int Revision, FeedbackLevel Feedback, double? Score, decimal? Points, decimal? MaxPoints,
    bool? Passed, IReadOnlyList<ItemResult>? Items, DateTimeOffset? DueAt = null, bool Late = false);
