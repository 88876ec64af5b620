using System.Text.Json;

namespace Hephaestus.Server.Features.Paths;

public sealed record CreatePathRequest(string Code, string Title, string? Description = null);

/// <summary>
/// One step of a draft. <c>kind</c> is skill, content or assessment; <c>targetSkillIds</c> are the skills the step
/// teaches or measures (a skill step targets its own skill); <c>prerequisites</c> are keys of steps of the same version;
/// <c>unlockRule</c> is an AND/OR tree.
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
