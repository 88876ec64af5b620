using System.Text.Json;
using Hephaestus.Data.Competencies;

namespace Hephaestus.Server.Features.Competencies;

/// <summary>Levels in rank order: thresholds strictly increase, exactly one is the mastery level.</summary>
public sealed record MasteryScaleRequest(string Name, IReadOnlyList<MasteryLevelDefinition> Levels);

public sealed record CreateFrameworkRequest(
    string Code,
    string Title,
    string? Description = null,
    Guid? ScaleId = null,
    string? MasteryMethod = null,
    JsonElement? MasteryParameters = null);

/// <summary>Absent (or null) fields stay as they are; the code never changes.</summary>
public sealed record PatchFrameworkRequest(
    string? Title = null,
    string? Description = null,
    Guid? ScaleId = null,
    string? MasteryMethod = null,
    JsonElement? MasteryParameters = null);

public sealed record CreateSkillRequest(
    string Code,
    string Title,
    string? Description = null,
    JsonElement? Attributes = null,
    Guid? ParentId = null,
    int? Position = null,
    string? MasteryMethod = null,
    JsonElement? MasteryParameters = null);

/// <summary>Absent (or null) fields stay as they are. Moving is its own operation (POST /skills/{id}/move).</summary>
public sealed record PatchSkillRequest(
    string? Title = null,
    string? Description = null,
    JsonElement? Attributes = null,
    int? Position = null,
    string? MasteryMethod = null,
    JsonElement? MasteryParameters = null);

/// <summary><c>parentId</c> is required: null makes the skill a root of its framework.</summary>
public sealed record MoveSkillRequest(Guid? ParentId, int? Position = null);

public sealed record CreateRubricRequest(string Title, IReadOnlyList<RubricCriterionDefinition> Criteria);
