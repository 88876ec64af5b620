using System.Text.Json;
using Hephaestus.Domain.Assessments;

namespace Hephaestus.Server.Features.Assessments;

public sealed record SkillAlignment(Guid SkillId, decimal Weight = 1);

public sealed record ItemRequest(JsonElement Definition, IReadOnlyList<SkillAlignment> Skills, string? Code = null);

/// <summary>An item version. <c>definition</c> holds the answer key: only authors, educators and admins ever see it.</summary>
public sealed record ItemResponseBody(Guid ItemId, string? Code, Guid VersionId, int Version, string Type, JsonElement Definition,
    IReadOnlyList<SkillAlignment> Skills, DateTimeOffset CreatedAt);

/// <summary>Attempts allowed (null: unlimited), time limit, pass score (0..1) and what feedback a learner gets on submission.</summary>
public sealed record AssessmentSettings(int? AttemptsAllowed = null, int? TimeLimitSeconds = null, double? PassScore = null, string Feedback = "score");

/// <summary>One part: a fixed item (optionally pinned to a version) or <c>poolCount</c> items drawn from those aligned to <c>poolSkillId</c>.</summary>
public sealed record AssessmentPart(Guid? ItemId = null, int? ItemVersion = null, Guid? PoolSkillId = null, int? PoolCount = null);

public sealed record AssessmentRequest(string Title, IReadOnlyList<AssessmentPart> Parts, AssessmentSettings? Settings = null);

public sealed record AssessmentResponseBody(Guid Id, string Title, AssessmentSettings Settings, IReadOnlyList<AssessmentPart> Parts, DateTimeOffset CreatedAt);

/// <summary>An attempt as a learner sees it: items in their learner view (no answer key) and the responses saved so far.</summary>
public sealed record AttemptBody(Guid Id, Guid LearnerId, Guid AssessmentId, int Number, string Status, DateTimeOffset StartedAt,
    DateTimeOffset? DeadlineAt, DateTimeOffset? SubmittedAt, IReadOnlyList<AttemptItem> Items);

public sealed record AttemptItem(Guid ItemVersionId, JsonElement Item, JsonElement? Response);

public sealed record SaveResponseRequest(JsonElement Response);

public sealed record SubmitRequest(IReadOnlyDictionary<Guid, JsonElement>? Responses = null);

/// <summary>The outcome of a submission, trimmed to the assessment's feedback setting.</summary>
public sealed record SubmissionResult(Guid AttemptId, Guid ResultId, int Revision, string Feedback, double? Score, decimal? Points, decimal? MaxPoints,
    bool? Passed, IReadOnlyList<ItemResult>? Items);
