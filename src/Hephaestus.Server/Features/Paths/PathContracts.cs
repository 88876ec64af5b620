using System.Text.Json;

namespace Hephaestus.Server.Features.Paths;

public sealed record CreatePathRequest(string Code, string Title, string? Description = null);

public sealed record PathResponse(Guid Id, string Code, string Title, string? Description, DateTimeOffset CreatedAt, IReadOnlyList<PathVersionSummary> Versions);

public sealed record PathVersionSummary(Guid Id, int Version, string Status, DateTimeOffset CreatedAt, DateTimeOffset? PublishedAt, DateTimeOffset? RetiredAt, int StepCount);

/// <summary>
/// One step of a draft. <c>targetSkillIds</c> are the skills the step teaches or measures (a skill step targets its
/// own skill); <c>prerequisites</c> are keys of steps of the same version; <c>unlockRule</c> is an AND/OR tree.
/// </summary>
public sealed record StepDefinition(
    string Key,
    string Kind,
    Guid RefId,
    string Title,
    Guid[]? TargetSkillIds = null,
    JsonElement? UnlockRule = null,
    int? EstimatedMinutes = null,
    string[]? Prerequisites = null);

public sealed record PutStepsRequest(IReadOnlyList<StepDefinition> Steps);

public sealed record StepResponse(
    Guid Id,
    string Key,
    string Kind,
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
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? PublishedAt,
    DateTimeOffset? RetiredAt,
    IReadOnlyList<StepResponse> Steps);
