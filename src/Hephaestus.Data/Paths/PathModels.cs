using System.Text.Json;
using Hephaestus.Domain.Paths;

namespace Hephaestus.Data.Paths;

public sealed record PathResponse(Guid Id, string Code, string Title, string? Description, DateTimeOffset CreatedAt, IReadOnlyList<PathVersionSummary> Versions);

public sealed record PathVersionSummary(Guid Id, int Version, PathVersionStatus Status, DateTimeOffset CreatedAt, DateTimeOffset? PublishedAt,
    DateTimeOffset? RetiredAt, int StepCount);

/// <summary>
/// A step as written into a draft, after validation: <c>targetSkillIds</c> are the skills the step teaches or measures
/// (a skill step's own skill), <c>prerequisites</c> keys of steps of the same version.
/// </summary>
public sealed record NewStep(
    string Key,
    StepKind Kind,
    Guid RefId,
    string Title,
    IReadOnlyList<Guid> TargetSkillIds,
    JsonElement? UnlockRule,
    int? EstimatedMinutes,
    IReadOnlyList<string> Prerequisites);

public sealed record StepResponse(
    Guid Id,
    string Key,
    StepKind Kind,
    Guid RefId,
    string Title,
    int Position,
    Guid[] TargetSkillIds,
    JsonElement? UnlockRule,
    int? EstimatedMinutes,
    IReadOnlyList<string> Prerequisites);

public sealed record PathVersionResponse(
    Guid Id,
    Guid PathId,
    int Version,
    PathVersionStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PublishedAt,
    DateTimeOffset? RetiredAt,
    IReadOnlyList<StepResponse> Steps);
