using System.Text.Json;

namespace Hephaestus.Data.Competencies;

public sealed record MasteryLevelDefinition(string Name, decimal Threshold, bool IsMastery, decimal? Points = null, string? Color = null);

public sealed record MasteryLevelResponse(int Rank, string Name, decimal Threshold, decimal? Points, string? Color, bool IsMastery);

/// <summary><c>inUse</c>: some learner has mastery or evidence recorded for a skill of a framework using this scale.</summary>
public sealed record MasteryScaleResponse(Guid Id, Guid FamilyId, int Version, string Name, DateTimeOffset CreatedAt, bool InUse,
    IReadOnlyList<MasteryLevelResponse> Levels);

/// <summary>A framework's fields as written; null description, method or parameters keep (or default) what is stored.</summary>
public sealed record FrameworkFields(string? Title, string? Description, Guid? ScaleId, string? MasteryMethod, JsonElement? MasteryParameters);

public sealed record FrameworkSummary(Guid Id, string Code, string Title, string? Description, Guid ScaleId, string MasteryMethod,
    JsonElement MasteryParameters, DateTimeOffset CreatedAt, int SkillCount);

/// <summary>A framework with its skills as a tree: roots and children ordered by position, then code.</summary>
public sealed record FrameworkResponse(Guid Id, string Code, string Title, string? Description, Guid ScaleId, string MasteryMethod,
    JsonElement MasteryParameters, DateTimeOffset CreatedAt, IReadOnlyList<SkillNode> Skills);

public sealed record SkillNode(Guid Id, string Code, string Title, string? Description, JsonElement Attributes, int Position,
    string? MasteryMethod, JsonElement? MasteryParameters, IReadOnlyList<SkillNode> Children);

/// <summary>A skill's editable fields as written; null keeps (or defaults) what is stored.</summary>
public sealed record SkillFields(string? Title, string? Description, JsonElement? Attributes, int? Position, string? MasteryMethod,
    JsonElement? MasteryParameters);

public sealed record SkillRef(Guid Id, string Code, string Title, Guid FrameworkId, string FrameworkCode);

public sealed record SkillResponse(Guid Id, Guid FrameworkId, string FrameworkCode, Guid? ParentId, string Code, string Title, string? Description,
    JsonElement Attributes, int Position, string? MasteryMethod, JsonElement? MasteryParameters, DateTimeOffset CreatedAt,
    IReadOnlyList<SkillRef> Prerequisites);

/// <summary>A skill reached through the prerequisite graph; depth is the fewest edges from the starting skill.</summary>
public sealed record RelatedSkill(Guid Id, string Code, string Title, Guid FrameworkId, string FrameworkCode, int Depth);

/// <summary>
/// One skill in a topological order: <c>level</c> is the longest prerequisite chain below it, so every prerequisite has a
/// lower level. <c>external</c> marks a prerequisite from another framework, included so the order is complete.
/// </summary>
public sealed record OrderedSkill(Guid Id, string Code, string Title, Guid FrameworkId, string FrameworkCode, int Level, bool External,
    IReadOnlyList<Guid> Prerequisites);

public sealed record PrerequisiteEdge(Guid SkillId, Guid PrerequisiteId, DateTimeOffset CreatedAt);

/// <summary>A cycle that an edge would close, as skill codes and ids in the direction of "requires" (A → C: A requires C).</summary>
public sealed record SkillCycle(IReadOnlyList<string> Codes, IReadOnlyList<Guid> Ids);

public sealed record RubricRatingDefinition(string Description, decimal Points);

public sealed record RubricCriterionDefinition(
    string Description,
    IReadOnlyList<RubricRatingDefinition> Ratings,
    string? LongDescription = null,
    Guid? SkillId = null,
    decimal? MasteryPoints = null);

public sealed record RubricCriterionResponse(Guid Id, int Position, string Description, string? LongDescription, Guid? SkillId,
    IReadOnlyList<RubricRatingDefinition> Ratings, decimal? MasteryPoints);

/// <summary><c>pointsPossible</c> is the sum of each criterion's highest rating.</summary>
public sealed record RubricResponse(Guid Id, string Title, DateTimeOffset CreatedAt, decimal PointsPossible,
    IReadOnlyList<RubricCriterionResponse> Criteria);
