namespace Hephaestus.Domain.Identity;

/// <summary>A group that ties educators to the learners they teach.</summary>
public sealed class Cohort
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public string? Description { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public uint Version { get; set; }
    public List<CohortMember> Members { get; set; } = [];
}

public sealed class CohortMember
{
    public Guid CohortId { get; set; }
    public Guid UserId { get; set; }

    /// <summary>"educator" or "learner": the capacity in which the user belongs to this cohort.</summary>
    public required string MemberRole { get; set; }

    public DateTimeOffset AddedAt { get; set; }
}
