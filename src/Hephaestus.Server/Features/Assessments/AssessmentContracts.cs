using System.Text.Json;
using Hephaestus.Data.Assessments;
using Hephaestus.Domain.Assessments;

namespace Hephaestus.Server.Features.Assessments;

public sealed record ItemRequest(JsonElement Definition, IReadOnlyList<SkillAlignment> Skills, string? Code = null);

/// <summary>An item version. <c>definition</c> holds the answer key: only authors, educators and admins ever see it.</summary>
public sealed record ItemResponseBody(Guid ItemId, string? Code, Guid VersionId, int Version, string Type, JsonElement Definition,
    IReadOnlyList<SkillAlignment> Skills, DateTimeOffset CreatedAt);

/// <param name="AttemptPolicy">How attempts combine for paths and gradebooks: highest (the default), latest, average or first.</param>
public sealed record AssessmentRequest(string Title, IReadOnlyList<AssessmentPart> Parts, AssessmentSettings? Settings = null, AttemptPolicy? AttemptPolicy = null);

public sealed record AssessmentResponseBody(Guid Id, string Title, AssessmentSettings Settings, IReadOnlyList<AssessmentPart> Parts, DateTimeOffset CreatedAt,
    AttemptPolicy AttemptPolicy);

/// <summary>An attempt as a learner sees it: items in their learner view (no answer key) and the responses saved so far.</summary>
public sealed record AttemptBody(Guid Id, Guid LearnerId, Guid AssessmentId, int Number, AttemptStatus Status, DateTimeOffset StartedAt,
    DateTimeOffset? DeadlineAt, DateTimeOffset? SubmittedAt, IReadOnlyList<AttemptItem> Items);

public sealed record AttemptItem(Guid ItemVersionId, JsonElement Item, JsonElement? Response);

public sealed record SaveResponseRequest(JsonElement Response);

public sealed record SubmitRequest(IReadOnlyDictionary<Guid, JsonElement>? Responses = null);

/// <summary>The outcome of a submission, trimmed to the assessment's feedback setting.</summary>
public sealed record SubmissionResult(Guid AttemptId, Guid ResultId, int Revision, FeedbackLevel Feedback, double? Score, decimal? Points, decimal? MaxPoints,
    bool? Passed, IReadOnlyList<ItemResult>? Items);
